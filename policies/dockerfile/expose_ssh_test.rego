package rampart.dockerfile.expose_ssh_test

import data.rampart.dockerfile.expose_ssh

test_ssh_port_fails if {
	findings := expose_ssh.deny with input as dockerfile([stage(0, "", "ubuntu:24.04", 1, [
		ins("expose", 2, ["22"]),
		ins("expose", 3, ["8080", "22/tcp"]),
		ins("expose", 4, ["20-30/tcp"]),
		object.union(ins("expose", 5, []), {"value": "22"}),
	])])
	lines(findings) == {2, 3, 4, 5}
}

test_other_ports_pass if {
	count(expose_ssh.deny) == 0 with input as dockerfile([stage(0, "", "ubuntu:24.04", 1, [
		ins("expose", 2, ["2222", "8022", "220"]),
		ins("expose", 3, ["80-90"]),
		ins("expose", 4, ["${SSH_PORT}"]),
	])])
}

test_builder_stages_ignored if {
	findings := expose_ssh.deny with input as dockerfile([
		stage(0, "build", "ubuntu:24.04", 1, [ins("expose", 2, ["22"])]),
		stage(1, "base", "ubuntu:24.04", 3, [ins("expose", 4, ["22"])]),
		stage(2, "", "base", 5, [ins("expose", 6, ["8080"])]),
	])
	lines(findings) == {4}
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
