package rampart.dockerfile.add_remote_unverified_test

import data.rampart.dockerfile.add_remote_unverified

adds(cmds) := dockerfile([stage(0, "", "alpine:3.20", 1, [object.union(ins("add", i + 2, []), c) | some i, c in cmds])])

test_unverified_fails if {
	findings := add_remote_unverified.deny with input as adds([
		{"value": ["https://example.com/tool", "/usr/local/bin/tool"]},
		{"value": ["HTTP://example.com/a.tar.gz", "/tmp/"]},
		{"value": ["https://github.com/moby/buildkit.git#v0.14.0", "/src"]},
		{"value": ["git@github.com:moby/buildkit.git", "/src"], "flags": ["--keep-git-dir=true"]},
		{"value": ["local.txt", "https://example.com/b", "/opt/"]},
	])
	lines(findings) == {2, 3, 4, 5, 6}
}

test_verified_and_local_pass if {
	count(add_remote_unverified.deny) == 0 with input as adds([
		{"value": ["https://example.com/tool", "/usr/local/bin/tool"], "flags": ["--checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"]},
		{"value": ["https://github.com/moby/buildkit.git#d6c6d4d6e0e3f6c1bb6d8a0d42ee0ea5f8c2d9a0", "/src"]},
		{"value": ["https://github.com/moby/buildkit.git#d6c6d4d6e0e3f6c1bb6d8a0d42ee0ea5f8c2d9a0:frontend", "/src"]},
		{"value": ["https://github.com/moby/buildkit.git#v0.14.0", "/src"], "flags": ["--checksum=d6c6d4d6e0e3f6c1bb6d8a0d42ee0ea5f8c2d9a0"]},
		{"value": [".", "/app"]},
		{"value": ["rootfs.tar.gz", "/"]},
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
