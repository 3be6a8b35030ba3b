package rampart.dockerfile.no_healthcheck_test

import data.rampart.dockerfile.no_healthcheck

test_missing_points_at_final_from if {
	findings := no_healthcheck.deny with input as dockerfile([
		stage(0, "build", "golang:1.22", 1, [ins("healthcheck", 2, ["CMD", "true"])]),
		stage(1, "", "alpine:3.20", 3, [ins("cmd", 4, ["/app"])]),
	])
	lines(findings) == {3}
}

test_present_passes if {
	count(no_healthcheck.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		with_flags(ins("healthcheck", 2, ["CMD", "wget -qO- http://localhost:8080/healthz || exit 1"]), ["--interval=30s"]),
	])])
}

test_none_is_deliberate if {
	count(no_healthcheck.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("healthcheck", 2, ["NONE"])])])
}

test_inherited_from_parent_stage if {
	count(no_healthcheck.deny) == 0 with input as dockerfile([
		stage(0, "base", "alpine:3.20", 1, [ins("healthcheck", 2, ["CMD", "true"])]),
		stage(1, "", "base", 3, []),
	])
}

test_no_stages if {
	count(no_healthcheck.deny) == 0 with input as {"stages": [], "args": []}
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
