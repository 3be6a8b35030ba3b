package rampart.dockerfile.unpinned_base_test

import data.rampart.dockerfile.unpinned_base

single(base) := dockerfile([stage(0, "", base, 1, [])])

test_latest_and_untagged_fail if {
	every base in ["nginx", "nginx:latest", "docker.io/library/nginx", "localhost:5000/team/app", "ghcr.io/org/app:latest"] {
		lines(unpinned_base.deny) == {1} with input as single(base)
	}
}

test_pinned_pass if {
	every base in [
		"nginx:1.27", "localhost:5000/team/app:1.0", "alpine@sha256:0a0b", "alpine:latest@sha256:0a0b",
		"scratch", "SCRATCH",
	] {
		count(unpinned_base.deny) == 0 with input as single(base)
	}
}

test_every_stage_checked if {
	findings := unpinned_base.deny with input as dockerfile([
		stage(0, "build", "golang", 1, []),
		stage(1, "", "alpine:3.20", 5, []),
	])
	lines(findings) == {1}
}

test_stage_references_skipped if {
	count(unpinned_base.deny) == 0 with input as dockerfile([
		stage(0, "Build", "golang:1.22", 1, []),
		stage(1, "test", "build", 3, []),
		stage(2, "", "test", 5, []),
	])
}

test_global_arg_resolution if {
	findings := unpinned_base.deny with input as {
		"args": [
			ins("arg", 1, ["IMAGE=nginx"]),
			with_original(ins("arg", 2, ["TAG", "latest"]), "ARG TAG=latest"),
			ins("arg", 3, ["GO_VERSION=1.22"]),
			ins("arg", 4, ["UNSET"]),
		],
		"stages": [
			stage(0, "", "${IMAGE}", 5, []), # nginx
			stage(1, "", "redis:$TAG", 6, []), # redis:latest
			stage(2, "", "golang:${GO_VERSION}", 7, []), # pinned
			stage(3, "", "app:${UNSET}", 8, []), # unknown: skipped
			stage(4, "", "${UNSET}", 9, []), # unknown: skipped
			stage(5, "", "${UNSET:-busybox}", 10, []), # busybox
			stage(6, "", "${UNSET:-busybox:1.36}", 11, []), # pinned
			stage(7, "", "${IMAGE:+caddy}", 12, []), # caddy
			stage(8, "", "${BUILDER_IMAGE}", 13, []), # undeclared: skipped
		],
	}
	lines(findings) == {5, 6, 10, 12}
}

test_arg_resolving_to_stage_name if {
	count(unpinned_base.deny) == 0 with input as {
		"args": [ins("arg", 1, ["BASE=build"])],
		"stages": [stage(0, "build", "golang:1.22", 2, []), stage(1, "", "${BASE}", 3, [])],
	}
}

test_last_global_arg_wins if {
	findings := unpinned_base.deny with input as {
		"args": [ins("arg", 1, ["TAG=1.0"]), ins("arg", 2, ["TAG=latest"])],
		"stages": [stage(0, "", "nginx:${TAG}", 3, [])],
	}
	lines(findings) == {3}
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
