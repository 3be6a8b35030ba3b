package rampart.dockerfile.update_alone_test

import data.rampart.dockerfile.update_alone

runs(cmds) := dockerfile([stage(0, "", "debian:12", 1, [ins("run", i + 2, [c]) | some i, c in cmds])])

test_update_alone_fails if {
	findings := update_alone.deny with input as runs([
		"apt-get update",
		"apt-get -qq update",
		"apt update",
		"apk update",
		"dnf makecache",
		"yum -q makecache",
		"zypper refresh",
		"DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 update && echo done",
		"sudo -E /usr/bin/apt-get update",
		"if [ -n \"$X\" ]; then apt-get update; fi",
	])
	lines(findings) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
}

test_update_with_install_passes if {
	count(update_alone.deny) == 0 with input as runs([
		"apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
		"apt-get update -qq; apt-get -y upgrade",
		"apt update && apt full-upgrade -y",
		"apk update && apk add curl",
		"dnf makecache && dnf install -y git",
		"zypper ref && zypper -n in git",
		"apt-get update && xargs -a packages.txt apt-get install -y",
		"set -eux; apt-get update; apt-get install -y x",
	])
}

test_other_commands_pass if {
	count(update_alone.deny) == 0 with input as runs([
		"echo apt-get update",
		"yum update -y",
		"apt-get install -y curl",
		"apt-get update && ./install-deps.sh",
		"apt-get update && bash /tmp/setup.sh",
	])
}

test_json_form if {
	findings := update_alone.deny with input as dockerfile([stage(0, "", "debian:12", 1, [
		ins("run", 2, ["sh", "-c", "apt-get update"]),
		ins("run", 3, ["sh", "-c", "apt-get update && apt-get install -y x"]),
	])])
	lines(findings) == {2}
}

heredoc_run(line, body) := object.union(ins("run", line, ["<<EOF"]), {"end_line": line + 3, "heredocs": [body]})

test_heredoc if {
	findings := update_alone.deny with input as dockerfile([stage(0, "", "debian:12", 1, [
		heredoc_run(2, "set -e\napt-get update\napt-get install -y curl\n"),
		heredoc_run(6, "apt-get update\n"),
	])])
	lines(findings) == {6}
}

test_continuation_lines if {
	count(update_alone.deny) == 0 with input as dockerfile([stage(0, "", "debian:12", 1, [
		object.union(ins("run", 2, ["apt-get update \\\n  && apt-get install -y x"]), {"end_line": 3}),
	])])
}

test_every_stage_checked if {
	findings := update_alone.deny with input as dockerfile([
		stage(0, "build", "debian:12", 1, [ins("run", 2, ["apt-get update"])]),
		stage(1, "", "debian:12", 3, [ins("run", 4, ["apt-get update"])]),
	])
	lines(findings) == {2, 4}
}

test_heredoc_object_shape if {
	findings := update_alone.deny with input as dockerfile([stage(0, "", "debian:12", 1, [object.union(
		ins("run", 2, ["<<EOF"]),
		{"end_line": 4, "heredocs": [{"name": "EOF", "content": "apt-get update\n"}]},
	)])])
	lines(findings) == {2}
}

# --- test input helpers -----------------------------------------------------

ins(kind, line, value) := {
	"cmd": kind,
	"value": value,
	"flags": [],
	"original": concat(" ", array.concat([upper(kind)], value)),
	"json": false,
	"start_line": line,
	"end_line": line,
}

with_flags(c, flags) := object.union(c, {"flags": flags, "original": concat(" ", array.concat(array.concat([upper(c.cmd)], flags), c.value))})

with_original(c, original) := object.union(c, {"original": original})

stage(i, name, base, line, cmds) := {
	"index": i,
	"name": name,
	"base": base,
	"platform": "",
	"start_line": line,
	"commands": array.concat([from_cmd(base, name, line)], cmds),
}

from_cmd(base, "", line) := ins("from", line, [base])

from_cmd(base, name, line) := ins("from", line, [base, "AS", name]) if name != ""

dockerfile(stages) := {"stages": stages, "args": []}

lines(findings) := {r.start_line | some r in findings}
