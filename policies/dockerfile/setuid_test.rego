package rampart.dockerfile.setuid_test

import data.rampart.dockerfile.setuid

runs(cmds) := dockerfile([stage(0, "", "ubuntu:24.04", 1, [ins("run", i + 2, [c]) | some i, c in cmds])])

test_setuid_fails if {
	findings := setuid.deny with input as runs([
		"chmod u+s /usr/bin/ping",
		"chmod 4755 /usr/local/bin/tool",
		"chmod +s /bin/tool",
		"chmod 06755 /bin/tool",
		"chmod a+rx,u+s /opt/tool",
		"chmod u=rwxs,g=rx,o=rx /opt/tool",
		"install -m 4755 tool /usr/local/bin/tool",
		"install -D --mode=4711 tool /usr/local/bin/tool",
		"make && sudo chmod -v 4755 /opt/tool",
		"chmod 2755 /usr/local/bin/tool",
		"chmod g+s /usr/sbin/tool",
	])
	lines(findings) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
}

test_other_modes_pass if {
	count(setuid.deny) == 0 with input as runs([
		"chmod +x /entrypoint.sh",
		"chmod -R 0755 /app",
		"chmod 1777 /tmp",
		"chmod a-s /usr/bin/passwd",
		"chmod u-s,g-s /usr/bin/newgrp",
		"find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true",
		"chmod g+s /srv/shared",
		"chmod 2775 /data",
		"chmod -R g+rwX,g+s /var/www",
		"install -d -m 0750 /var/lib/app",
		"chmod o+t /scratch",
		"chmod 755 /usr/local/bin/tool",
	])
}

test_copy_chmod if {
	findings := setuid.deny with input as dockerfile([stage(0, "", "ubuntu:24.04", 1, [
		with_flags(ins("copy", 2, ["tool", "/usr/local/bin/tool"]), ["--chmod=4755"]),
		with_flags(ins("copy", 3, ["tool", "/usr/local/bin/tool"]), ["--chmod=755"]),
		with_flags(ins("add", 4, ["tool", "/usr/local/bin/"]), ["--chmod=2755"]),
		with_flags(ins("copy", 5, ["shared", "/srv/shared"]), ["--chmod=2775"]),
	])])
	lines(findings) == {2, 4}
}

test_several_bin_targets if {
	findings := setuid.deny with input as runs(["chmod 2755 /usr/bin/a /usr/bin/b"])
	count(findings) == 1
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
