package rampart.dockerfile.root_user_test

import data.rampart.dockerfile.root_user

test_no_user_points_at_final_from if {
	findings := root_user.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("run", 2, ["apk add --no-cache curl"])])])
	lines(findings) == {1}
}

test_explicit_root_variants if {
	every u in ["root", "0", "0:0", "root:root", "root:0", "0:1000"] {
		findings := root_user.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("user", 2, [u])])])
		lines(findings) == {2}
	}
}

test_non_root_users_pass if {
	every u in ["nonroot:nonroot", "65532", "65532:65532", "app", "1000:0", "rootless"] {
		count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("user", 2, [u])])])
	}
}

test_last_user_wins if {
	count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		ins("user", 2, ["root"]),
		ins("run", 3, ["apk add --no-cache curl"]),
		ins("user", 4, ["app"]),
	])])
	findings := root_user.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		ins("user", 2, ["app"]),
		ins("user", 3, ["root"]),
	])])
	lines(findings) == {3}
}

test_user_of_builder_stage_does_not_carry_over if {
	findings := root_user.deny with input as dockerfile([
		stage(0, "build", "golang:1.22", 1, [ins("user", 2, ["1000"])]),
		stage(1, "", "alpine:3.20", 3, [ins("copy", 4, ["--from=build", "/app", "/app"])]),
	])
	lines(findings) == {3}
}

test_final_stage_inherits_user_from_parent_stage if {
	count(root_user.deny) == 0 with input as dockerfile([
		stage(0, "Base", "alpine:3.20", 1, [ins("user", 2, ["app"])]),
		stage(1, "mid", "base", 3, []),
		stage(2, "", "mid", 4, [ins("run", 5, ["echo hi"])]),
	])
}

test_root_in_parent_stage_reported_at_its_user if {
	findings := root_user.deny with input as dockerfile([
		stage(0, "base", "alpine:3.20", 1, [ins("user", 2, ["root"])]),
		stage(1, "", "base", 3, []),
	])
	lines(findings) == {2}
}

test_final_user_overrides_parent if {
	findings := root_user.deny with input as dockerfile([
		stage(0, "base", "alpine:3.20", 1, [ins("user", 2, ["app"])]),
		stage(1, "", "base", 3, [ins("user", 4, ["0"])]),
	])
	lines(findings) == {4}
}

test_nonroot_base_without_user_passes if {
	count(root_user.deny) == 0 with input as dockerfile([
		stage(0, "build", "golang:1.22", 1, []),
		stage(1, "", "gcr.io/distroless/static-debian12:nonroot", 2, []),
	])
	count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "nginxinc/nginx-unprivileged:1.27", 1, [])])
	count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "docker:27-dind-rootless", 1, [])])
}

test_root_distroless_without_user_fails if {
	findings := root_user.deny with input as dockerfile([stage(0, "", "gcr.io/distroless/static-debian12", 1, [])])
	lines(findings) == {1}
}

test_nonroot_base_from_global_arg if {
	count(root_user.deny) == 0 with input as {
		"args": [with_original(ins("arg", 1, ["BASE", "gcr.io/distroless/base:nonroot"]), "ARG BASE=gcr.io/distroless/base:nonroot")],
		"stages": [stage(0, "", "${BASE}", 2, [])],
	}
}

test_user_variable if {
	# unresolvable: benefit of the doubt
	count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [ins("user", 2, ["${APP_UID}"])])])

	# resolved from the stage's ARG default
	findings := root_user.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		ins("arg", 2, ["UID=0"]),
		ins("user", 3, ["$UID"]),
	])])
	lines(findings) == {3}

	count(root_user.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		ins("env", 2, ["APP_USER", "app"]),
		ins("user", 3, ["${APP_USER}:${APP_USER}"]),
	])])
}

test_string_value if {
	findings := root_user.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [object.union(ins("user", 2, []), {"value": "root"})])])
	lines(findings) == {2}
}

test_no_stages if {
	count(root_user.deny) == 0 with input as {"stages": [], "args": []}
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
