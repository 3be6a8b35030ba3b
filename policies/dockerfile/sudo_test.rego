package rampart.dockerfile.sudo_test

import data.rampart.dockerfile.sudo

runs(cmds) := dockerfile([stage(0, "", "ubuntu:24.04", 1, [ins("run", i + 2, [c]) | some i, c in cmds])])

test_sudo_fails if {
	findings := sudo.deny with input as runs([
		"sudo apt-get install -y curl",
		"make && sudo make install",
		"DEBIAN_FRONTEND=noninteractive /usr/bin/sudo -E apt-get update",
		"bash -c \"sudo ls /root\"",
		"find . -name '*.tmp' | xargs sudo rm",
		"if true; then sudo true; fi",
	])
	lines(findings) == {2, 3, 4, 5, 6, 7}
}

test_json_form if {
	findings := sudo.deny with input as dockerfile([stage(0, "", "ubuntu:24.04", 1, [object.union(ins("run", 2, ["sudo", "make", "install"]), {"json": true})])])
	lines(findings) == {2}
}

test_mentions_pass if {
	count(sudo.deny) == 0 with input as runs([
		"apt-get install -y sudo",
		"echo 'app ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/app",
		"chmod 0440 /etc/sudoers.d/app",
		"echo use sudo with care",
		"gosu app true",
		"su-exec app true",
	])
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
