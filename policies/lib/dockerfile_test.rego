package lib.dockerfile_test

import data.lib.dockerfile as docker

# --- input builders ---------------------------------------------------------

ins(cmd, line, value) := {
	"cmd": cmd, "value": value, "flags": [], "original": sprintf("%s %s", [upper(cmd), concat(" ", value)]),
	"json": false, "start_line": line, "end_line": line,
}

from_ins(line, base, name) := ins("from", line, [base]) if name == ""

from_ins(line, base, name) := ins("from", line, [base, "AS", name]) if name != ""

stage(i, name, base, line, cmds) := {
	"index": i, "name": name, "base": base, "platform": "", "start_line": line,
	"commands": array.concat([from_ins(line, base, name)], cmds),
}

dockerfile(stages) := {"stages": stages, "args": []}

# --- commands, final_stage, result ------------------------------------------

test_commands_and_final_stage if {
	doc := dockerfile([
		stage(0, "build", "golang:1.22", 1, [ins("run", 2, ["go build"])]),
		stage(1, "", "alpine:3.20", 3, [ins("user", 4, ["app"])]),
	])
	cmds := {[c.cmd, c.start_line] | some c in docker.commands} with input as doc
	cmds == {["from", 1], ["run", 2], ["from", 3], ["user", 4]}
	docker.final_stage.base == "alpine:3.20" with input as doc
	docker.final_index == 1 with input as doc
}

test_result if {
	c := {"cmd": "run", "start_line": 3, "end_line": 5}
	docker.result("m", c) == {"msg": "m", "start_line": 3, "end_line": 5, "field": "RUN"}
}

# --- values -----------------------------------------------------------------

test_values if {
	docker.values({"value": ["a", "b"]}) == ["a", "b"]
	docker.values({"value": "apt-get update"}) == ["apt-get update"]
	docker.values({"value": null}) == []
	docker.values({}) == []
}

# --- stages -----------------------------------------------------------------

chain_doc := dockerfile([
	stage(0, "base", "alpine:3.20", 1, []),
	stage(1, "build", "golang:1.22", 2, []),
	stage(2, "App", "BASE", 3, []), # FROM names are case-insensitive
	stage(3, "", "app", 4, []),
])

test_parent if {
	not docker.parent(0) with input as chain_doc
	not docker.parent(1) with input as chain_doc
	docker.parent(2) == 0 with input as chain_doc
	docker.parent(3) == 2 with input as chain_doc
}

test_parent_is_the_latest_earlier_stage_of_that_name if {
	doc := dockerfile([
		stage(0, "x", "alpine:3.20", 1, []),
		stage(1, "x", "alpine:3.19", 2, []),
		stage(2, "", "x", 3, []),
	])
	docker.parent(2) == 1 with input as doc
}

test_parent_ignores_later_stages if {
	doc := dockerfile([
		stage(0, "", "later", 1, []),
		stage(1, "later", "alpine:3.20", 2, []),
	])
	not docker.parent(0) with input as doc
}

test_final_chain_skips_builder_stages if {
	docker.final_chain == {0, 2, 3} with input as chain_doc
}

test_final_chain_single_stage if {
	docker.final_chain == {0} with input as dockerfile([stage(0, "", "alpine:3.20", 1, [])])
}

test_from_command if {
	c := docker.from_command(1) with input as chain_doc
	c.cmd == "from"
	c.start_line == 2
}

test_from_command_without_from_instruction if {
	doc := {"stages": [{"index": 0, "name": "", "base": "alpine", "start_line": 7, "commands": []}]}
	docker.from_command(0) == {"cmd": "from", "start_line": 7, "end_line": 7} with input as doc
}

# --- image references -------------------------------------------------------

test_tag if {
	docker.tag("alpine") == ""
	docker.tag("alpine:3.20") == "3.20"
	docker.tag("alpine:latest@sha256:abc") == "latest"
	docker.tag("alpine@sha256:abc") == ""
	docker.tag("localhost:5000/team/app") == ""
	docker.tag("localhost:5000/team/app:1.2") == "1.2"
}

# --- ARG/ENV/LABEL arguments ------------------------------------------------

test_kv_pairs_flattened_pairs if {
	docker.kv_pairs(ins("env", 2, ["A", "1", "B", "\"two words\""])) == [
		{"key": "A", "value": "1", "set": true},
		{"key": "B", "value": "two words", "set": true},
	]
}

test_kv_pairs_buildkit_triplets if {
	docker.kv_pairs(ins("env", 2, ["A", "1", "=", "B", "'x'", " "])) == [
		{"key": "A", "value": "1", "set": true},
		{"key": "B", "value": "x", "set": true},
	]
}

test_kv_pairs_words if {
	docker.kv_pairs(ins("label", 2, ["a=1", "b=x=y"])) == [
		{"key": "a", "value": "1", "set": true},
		{"key": "b", "value": "x=y", "set": true},
	]
}

test_kv_pairs_raw_arg_words if {
	# ARG A B=1 as buildkit's raw words: one value per word of the line.
	c := object.union(ins("arg", 2, ["A", "B=1"]), {"original": "ARG A B=1"})
	docker.arg_words(c)
	docker.kv_pairs(c) == [
		{"key": "A", "value": "", "set": false},
		{"key": "B", "value": "1", "set": true},
	]
}

test_kv_pairs_arg_pair_from_one_word if {
	# ARG K=V given as a key/value pair: not raw words (one word on the line).
	c := object.union(ins("arg", 2, ["K", "V"]), {"original": "ARG K=V"})
	not docker.arg_words(c)
	docker.kv_pairs(c) == [{"key": "K", "value": "V", "set": true}]
}

test_word_pair if {
	docker.word_pair("K=V") == {"key": "K", "value": "V", "set": true}
	docker.word_pair("K=") == {"key": "K", "value": "", "set": true}
	docker.word_pair("K") == {"key": "K", "value": "", "set": false}
	docker.word_pair("=V") == {"key": "=V", "value": "", "set": false}
}

test_unquote if {
	docker.unquote(`"a b"`) == "a b"
	docker.unquote("'a'") == "a"
	docker.unquote(`"a'`) == `"a'`
	docker.unquote(`"`) == `"`
	docker.unquote("abc") == "abc"
}

test_key_value_commands if {
	doc := {
		"args": [ins("arg", 1, ["V=1"])],
		"stages": [stage(0, "", "alpine:3.20", 2, [
			ins("env", 3, ["A", "1"]),
			ins("label", 4, ["b", "2"]),
			ins("run", 5, ["true"]),
			ins("arg", 6, ["C"]),
		])],
	}
	lines := {c.start_line | some c in docker.key_value_commands} with input as doc
	lines == {1, 3, 4, 6}
}

# --- variables and expansion ------------------------------------------------

test_declared_vars_last_wins if {
	cmds := [
		ins("arg", 1, ["A=1", "B"]),
		ins("env", 2, ["A", "2"]),
		ins("arg", 3, ["C=x", "C=y"]),
	]
	docker.declared_vars(cmds) == {"A": "2", "C": "y"}
}

test_global_vars if {
	doc := {
		"args": [ins("arg", 1, ["REG=docker.io"]), ins("arg", 2, ["TAG"]), ins("arg", 3, ["REG=ghcr.io"])],
		"stages": [stage(0, "", "alpine", 4, [ins("arg", 5, ["X=1"])])],
	}
	docker.global_vars == {"REG": "ghcr.io"} with input as doc
}

test_global_vars_without_args if {
	docker.global_vars == {} with input as {"stages": []}
}

test_resolve if {
	vars := {"A": "a", "E": ""}
	docker.resolve("plain", vars) == "plain"
	docker.resolve("$A/${A}", vars) == "a/a"
	docker.resolve("x${A}y", vars) == "xay"
	docker.resolve("${E:-d}", vars) == "d"
	docker.resolve("${U:-d}", vars) == "d"
	docker.resolve("${A:-d}", vars) == "a"
	docker.resolve("${E-d}", vars) == ""
	docker.resolve("${U-d}", vars) == "d"
	docker.resolve("${A:+w}", vars) == "w"
	docker.resolve("${E:+w}", vars) == ""
	docker.resolve("${E+w}", vars) == "w"
	docker.resolve("${U+w}", vars) == ""
}

test_resolve_undefined_for_unknown_variables if {
	not docker.resolve("$U", {})
	not docker.resolve("${A}:${U}", {"A": "a"})
	not docker.resolve("$1", {})
}

# --- shell parsing ----------------------------------------------------------

test_run_text if {
	docker.run_text(ins("run", 1, ["apt-get update"])) == "apt-get update"
	docker.run_text({"cmd": "run", "value": ["sh", "-c", "x"]}) == "sh -c x"
	c := {"cmd": "run", "value": ["<<EOF"], "heredocs": ["a\nb\n", {"content": "c"}, {"Content": "d"}]}
	docker.run_text(c) == "<<EOF\na\nb\n\nc\nd"
}

test_segments if {
	docker.segments("a && b || c; d | e & f\ng (h) `i` $(j)") == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "$", "j"]
	docker.segments("if x; then y; else z; fi") == ["if x", "y", "z", "fi"]
	docker.segments("for i in 1; do echo $i; done") == ["for i in 1", "echo $i", "done"]
	docker.segments("a \\\n  b") == ["a    b"]
	docker.segments("  ;  ") == []
}

test_words if {
	docker.words(`  echo  "a b" 'c'`) == ["echo", "a", "b", "c"]
	docker.words(`x ""`) == ["x"]
}

test_command if {
	docker.command("apt-get install -y curl") == ["apt-get", "install", "-y", "curl"]
	docker.command("sudo -E env DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install x") == ["/usr/bin/apt-get", "install", "x"]
	docker.command("xargs -n1 chmod u+s") == ["chmod", "u+s"]
	docker.command(`sh -c "pip install x"`) == ["pip", "install", "x"]
	not docker.command("A=1 B=2")
}

test_basename if {
	docker.basename("/usr/bin/apt-get") == "apt-get"
	docker.basename("apk") == "apk"
	docker.basename("dir/") == ""
}

# --- package manager calls --------------------------------------------------

test_pm_calls if {
	c := ins("run", 1, ["apt-get -o Acquire::Retries=3 update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl && echo done"])
	calls := docker.pm_calls(c)
	[[x.tool, x.family, x.sub] | some x in calls; x.family == "apt"] == [["apt-get", "apt", "update"], ["apt-get", "apt", "install"]]
}

test_pm_call_python_m_pip if {
	docker.pm_call(["python3", "-m", "pip", "install", "--no-cache-dir", "flask"]) == {
		"tool": "pip", "family": "pip", "sub": "install", "args": ["install", "--no-cache-dir", "flask"],
	}
}

test_family if {
	every t, f in {"apt-get": "apt", "aptitude": "apt", "apk": "apk", "microdnf": "yum", "zypper": "zypper", "pip3.12": "pip"} {
		docker.family(t) == f
	}
	not docker.family("npm")
}

test_subcommand if {
	docker.subcommand(["-y", "install", "x"]) == "install"
	docker.subcommand(["--enablerepo", "epel", "install", "x"]) == "install"
	docker.subcommand(["-c", "/etc/apt.conf", "update"]) == "update"
	docker.subcommand(["-y"]) == ""
	docker.subcommand([]) == ""
}

# --- secret-looking names and values ----------------------------------------

test_secret_name if {
	every k in ["DB_PASSWORD", "github-token", "AWS_SECRET_ACCESS_KEY", "api_key", "SECRET_KEY_BASE", "SMTP_PASS", "GOOGLE_CREDENTIALS"] {
		docker.secret_name(k)
	}
	every k in ["PASSWORD_FILE", "TOKEN_URL", "AWS_ACCESS_KEY_ID", "GPG_KEY", "COMPASS", "PATH"] {
		not docker.secret_name(k)
	}
}

test_has_ref if {
	docker.has_ref("$TOKEN")
	docker.has_ref("x${A:-b}")
	not docker.has_ref("$1")
	not docker.has_ref("pa$$")
	not docker.has_ref("plain")
}

test_is_path if {
	every v in ["/run/secrets/db", "./key.json", "~/.token", "${HOME}/.token", "$HOME/x"] {
		docker.is_path(v)
	}
	every v in ["key.json", "hunter2", "$TOKEN"] {
		not docker.is_path(v)
	}
}

test_literal if {
	docker.literal("hunter2")
	docker.literal("sk-live-123")
	every v in ["", "$TOKEN", "${T:-x}", "true", "YES", "0", "none", "/run/secrets/x"] {
		not docker.literal(v)
	}
}
