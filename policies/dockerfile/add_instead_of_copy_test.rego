package rampart.dockerfile.add_instead_of_copy_test

import data.rampart.dockerfile.add_instead_of_copy

adds(cmds) := dockerfile([stage(0, "", "alpine:3.20", 1, [object.union(ins("add", i + 2, []), c) | some i, c in cmds])])

test_local_add_fails if {
	findings := add_instead_of_copy.deny with input as adds([
		{"value": [".", "/app"]},
		{"value": ["src/", "config.yml", "/app/"], "flags": ["--chown=app:app"]},
		{"value": ["a file.txt", "/dst/"], "json": true},
		{"value": ["<<EOF", "/etc/motd"], "heredocs": ["hi\n"]},
		{"value": ["--link", "bin", "/usr/local/bin/"]},
	])
	lines(findings) == {2, 3, 4, 5, 6}
}

test_add_semantics_pass if {
	count(add_instead_of_copy.deny) == 0 with input as adds([
		{"value": ["rootfs.tar.xz", "/"]},
		{"value": ["vendor.tgz", "/src/"]},
		{"value": ["dist/*.tar.gz", "/opt/"]},
		{"value": ["https://example.com/tool", "/usr/local/bin/tool"]},
		{"value": ["https://github.com/moby/buildkit.git#v0.14.0", "/src"]},
		{"value": ["git@github.com:moby/buildkit.git", "/src"]},
		{"value": ["${ARTIFACT}", "/opt/"]},
		{"value": ["tool", "/opt/"], "flags": ["--checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"]},
		{"value": ["archive.bin", "/opt/"], "flags": ["--unpack=true"]},
	])
}

test_copy_is_not_add if {
	count(add_instead_of_copy.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("copy", 2, [".", "/app"])])])
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
