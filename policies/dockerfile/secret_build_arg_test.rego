package rampart.dockerfile.secret_build_arg_test

import data.rampart.dockerfile.secret_build_arg

test_secret_args_fail if {
	findings := secret_build_arg.deny with input as {
		"args": [ins("arg", 1, ["NPM_TOKEN"])],
		"stages": [stage(0, "", "node:22", 2, [
			ins("arg", 3, ["DB_PASSWORD"]),
			ins("arg", 4, ["API_KEY="]),
			ins("arg", 5, ["SECRET_KEY=${DEFAULT_SECRET}"]),
			ins("arg", 6, ["VERSION", "GITHUB_TOKEN"]),
			ins("env", 7, ["NODE_AUTH_TOKEN", "${NPM_TOKEN}"]),
			ins("env", 8, ["AUTH_HEADER_TOKEN", "Bearer $TOKEN"]),
		])],
	}
	lines(findings) == {1, 3, 4, 5, 6, 7, 8}
}

test_others_pass if {
	count(secret_build_arg.deny) == 0 with input as dockerfile([stage(0, "", "node:22", 1, [
		ins("arg", 2, ["VERSION"]),
		ins("arg", 3, ["GITHUB_TOKEN=ghp_abc"]), # literal: dockerfile-secret-in-env
		ins("arg", 4, ["TOKEN_FILE"]),
		ins("arg", 5, ["PASSWORD=/run/secrets/pw"]),
		ins("env", 6, ["DB_PASSWORD", "hunter2"]),
		ins("env", 7, ["CONFIG_TOKEN", "${HOME}/.token"]),
		ins("env", 8, ["VERSION", "${VERSION}"]),
	])])
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
