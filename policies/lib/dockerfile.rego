# METADATA
# title: Dockerfile helpers
# description: |
#   Helpers over Rampart's Dockerfile input: input.stages[i].commands[j] with
#   cmd (lower case), value, flags, original, start_line and end_line, and the
#   global ARGs (before the first FROM) in input.args. Shared by the
#   rampart.dockerfile.* policies so that every rule reads stages, variables,
#   key/value arguments and RUN scripts the same way.
package lib.dockerfile

# Every instruction of every stage.
commands contains c if {
	some stage in input.stages
	some c in stage.commands
}

# Instructions of the final stage, the one that becomes the image.
final_stage := input.stages[count(input.stages) - 1]

# result points a finding at an instruction's lines.
result(msg, cmd) := {
	"msg": msg,
	"start_line": cmd.start_line,
	"end_line": cmd.end_line,
	"field": upper(cmd.cmd),
}

# values is an instruction's argument list as an array whatever the input
# holds (an array, a single string, or nothing), so rules can iterate and
# slice arguments without checking the type first.
values(c) := v if {
	is_array(c.value)
	v := c.value
} else := [c.value] if {
	is_string(c.value)
} else := []

# --- stages -----------------------------------------------------------------

# final_index is the index of the final stage; rules about the shipped image
# start their stage chain there.
final_index := count(input.stages) - 1

# parent(i) is the earlier stage that stage i is built FROM, if any. A stage
# built FROM an earlier one inherits its USER, EXPOSE, HEALTHCHECK and files,
# and its base is not an image to pull.
parent(i) := max(ps) if {
	base := lower(input.stages[i].base)
	ps := {j |
		some j, s in input.stages
		j < i
		name := object.get(s, "name", "")
		name != ""
		lower(name) == base
	}
	count(ps) > 0
}

# final_chain is the set of indexes of the final stage and every stage it
# inherits from: what ends up in the image, as opposed to discarded builder
# stages.
final_chain := graph.reachable(
	{i: [p | p := parent(i)] | some i, _ in input.stages},
	{final_index},
)

# from_command(i) is stage i's FROM instruction, so that findings about a
# whole stage point at its FROM line; a stand-in built from the stage's
# start_line when the input lacks the FROM command.
from_command(i) := c if {
	some c in input.stages[i].commands
	c.cmd == "from"
} else := {"cmd": "from", "start_line": input.stages[i].start_line, "end_line": input.stages[i].start_line}

# --- image references -------------------------------------------------------

# tag of an image reference ("" when there is none); the digest and a
# registry port (localhost:5000/app) are not mistaken for a tag.
tag(ref) := t if {
	parts := split(split(ref, "@")[0], "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := substring(last, indexof(last, ":") + 1, -1)
} else := ""

# --- ARG/ENV/LABEL arguments ------------------------------------------------

# kv_pairs reads ARG/ENV/LABEL arguments given as flattened pairs
# ["K", "V", ...], as buildkit's (key, value, separator) triplets, or as
# "K=V" / "K" words (buildkit's raw ARG arguments), and returns
# [{"key", "value", "set"}] ("set" is false for a bare ARG K without default).
# The input shape differs by instruction and parser, so every rule reading
# ARG/ENV/LABEL goes through this one reader.
kv_pairs(c) := [word_pair(w) | some w in values(c)] if {
	arg_words(c)
} else := [{"key": unquote(v[3 * k]), "value": unquote(v[(3 * k) + 1]), "set": true} |
	some k in numbers.range(0, (count(v) / 3) - 1)
] if {
	v := values(c)
	count(v) >= 3
	count(v) % 3 == 0
	not contains(v[0], "=")
	every k in numbers.range(0, (count(v) / 3) - 1) {
		v[(3 * k) + 2] in {"=", "", " "}
	}
} else := [{"key": unquote(v[2 * k]), "value": unquote(v[(2 * k) + 1]), "set": true} |
	some k in numbers.range(0, (count(v) / 2) - 1)
] if {
	v := values(c)
	count(v) >= 2
	count(v) % 2 == 0
	not contains(v[0], "=")
} else := [word_pair(w) | some w in values(c)]

# arg_words tells kv_pairs that an ARG's value holds buildkit's raw words,
# one per word of the line: ARG A B=1 -> ["A", "B=1"].
arg_words(c) if {
	c.cmd == "arg"
	ws := [w | some w in regex.split(`\s+`, trim_space(c.original)); w != ""]
	count(ws) - 1 == count(values(c))
}

# word_pair splits one "K=V" or "K" word for kv_pairs.
word_pair(w) := {"key": unquote(substring(w, 0, i)), "value": unquote(substring(w, i + 1, -1)), "set": true} if {
	i := indexof(w, "=")
	i > 0
} else := {"key": unquote(w), "value": "", "set": false}

# unquote removes one pair of matching quotes, as the shell-like Dockerfile
# syntax does for ARG/ENV/LABEL keys and values and USER arguments.
unquote(s) := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	q := substring(s, 0, 1)
	q in {`"`, "'"}
	endswith(s, q)
} else := s

# key_value_commands: ARG/ENV/LABEL instructions, global ARGs included; the
# places where a Dockerfile names values (secrets among them).
key_value_commands contains c if {
	some c in commands
	c.cmd in {"arg", "env", "label"}
}

key_value_commands contains c if {
	some c in object.get(input, "args", [])
	c.cmd == "arg"
}

# --- variables and expansion ------------------------------------------------

# declared_vars(cmds) is {name: value} for the variables that the given
# ARG/ENV instructions set, the last declaration winning (by line, then by
# position on the line); bare ARGs without a default are left out. It is how
# rules learn the values ${VAR} expands to.
declared_vars(cmds) := {k: v |
	entries := [[(c.start_line * 10000) + j, p.key, p.value] |
		some c in cmds
		some j, p in kv_pairs(c)
		p.set
	]
	some e in entries
	k := e[1]
	e[0] == max({y[0] | some y in entries; y[1] == k})
	v := e[2]
}

# Global ARG defaults (ARG before the first FROM); the last declaration wins.
# They are the only variables a FROM line can use.
global_vars := declared_vars(object.get(input, "args", []))

# var_pattern matches $VAR, ${VAR} and ${VAR<op>word} for resolve;
# submatches: 1 braced name, 2 operator, 3 word, 4 bare name.
var_pattern := `\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`

# resolve expands $VAR, ${VAR}, ${VAR:-word} and ${VAR:+word} (and the
# forms without colon) from vars; it is undefined when a variable has no
# known value, so rules can skip what they cannot see instead of guessing.
resolve(s, _) := s if not contains(s, "$")

resolve(s, vars) := out if {
	contains(s, "$")
	ms := regex.find_all_string_submatch_n(var_pattern, s, -1)
	repl := {m[0]: r | some m in ms; r := substitute(m, vars)}
	count(repl) == count({m[0] | some m in ms})
	out := strings.replace_n(repl, s)
	not contains(out, "$")
}

# var_name is the variable a var_pattern match refers to.
var_name(m) := concat("", [m[1], m[4]])

# substitute gives the replacement of one var_pattern match, by operator.
substitute(m, vars) := vars[var_name(m)] if m[2] == ""

substitute(m, vars) := v if {
	m[2] == ":-"
	v := non_empty(vars, var_name(m), m[3])
}

substitute(m, vars) := object.get(vars, var_name(m), m[3]) if m[2] == "-"

substitute(m, vars) := v if {
	m[2] == ":+"
	v := alternative(object.get(vars, var_name(m), "") != "", m[3])
}

substitute(m, vars) := v if {
	m[2] == "+"
	v := alternative(var_name(m) in object.keys(vars), m[3])
}

# non_empty: ${VAR:-word}, the value unless unset or empty.
non_empty(vars, name, word) := vars[name] if {
	vars[name] != ""
} else := word

# alternative: ${VAR:+word} and ${VAR+word}, the word when the condition holds.
alternative(true, word) := word

alternative(false, _) := ""

# --- shell parsing ----------------------------------------------------------

# run_text is the shell source of a RUN: its arguments plus any heredoc
# bodies, so that rules see commands written in RUN <<EOF scripts too.
run_text(c) := concat("\n", array.concat(
	[concat(" ", values(c))],
	[body | some d in object.get(c, "heredocs", []); body := heredoc_body(d)],
))

# heredoc_body accepts heredocs given as strings or as objects with a
# content (or Content) field.
heredoc_body(d) := object.get(d, "content", object.get(d, "Content", "")) if is_object(d)

heredoc_body(d) := d if is_string(d)

# segments are the simple commands of a script: split at && || ; | &
# newlines, parentheses and backquotes (subshells, command substitution), and
# at then/do/else, so that each program call can be looked at on its own.
segments(text) := [s |
	some raw in regex.split("&&|\\|\\||[;|&\n()`]|(?:^|\\s)(?:then|do|else)\\s", replace(text, "\\\n", " "))
	s := trim_space(raw)
	s != ""
]

# words are a segment's whitespace-separated words with quotes trimmed.
words(seg) := [w |
	some raw in regex.split(`\s+`, seg)
	w := trim(raw, `"'`)
	w != ""
]

# command is a segment's words from the command name on, after variable
# assignments, wrappers (sudo, env, xargs, exec...), "sh -c" and options, so
# that "sudo -E env X=1 apt-get install" is seen as apt-get.
command(seg) := array.slice(ws, k, count(ws)) if {
	ws := words(seg)
	k := min({i | some i, w in ws; not prefix_word(w)})
}

# prefix_word: a word that command skips before the command name.
prefix_word(w) if regex.match(`^[A-Za-z_][A-Za-z0-9_]*=`, w)

prefix_word(w) if startswith(w, "-")

prefix_word(w) if basename(w) in {
	"sudo", "env", "{", "!", "exec", "command", "time", "nice", "nohup", "xargs",
	"then", "do", "else", "sh", "bash", "dash", "ash", "zsh",
}

# basename is the last path element, so /usr/bin/apt-get is apt-get.
basename(w) := parts[count(parts) - 1] if parts := split(w, "/")

# --- package manager calls --------------------------------------------------

# pm_calls are the package manager invocations of a RUN:
# [{"tool", "family", "sub", "args"}], one per simple command that calls a
# known package manager, so rules can reason about refresh/install/clean.
pm_calls(c) := [call |
	some seg in segments(run_text(c))
	call := pm_call(command(seg))
]

# pm_call describes one command (its words from the command name on).
pm_call(cmd) := {"tool": tool, "family": family(tool), "sub": subcommand(args), "args": args} if {
	tool := basename(cmd[0])
	args := array.slice(cmd, 1, count(cmd))
}

# python -m pip ...
pm_call(cmd) := {"tool": "pip", "family": "pip", "sub": subcommand(args), "args": args} if {
	regex.match(`^python[0-9.]*$`, basename(cmd[0]))
	cmd[1] == "-m"
	regex.match(`^pip[0-9.]*$`, cmd[2])
	args := array.slice(cmd, 3, count(cmd))
}

# family groups tools that share an index and cache layout.
family(tool) := "apt" if tool in {"apt-get", "apt", "aptitude"}

family(tool) := "apk" if tool == "apk"

family(tool) := "yum" if tool in {"yum", "dnf", "microdnf", "tdnf"}

family(tool) := "zypper" if tool == "zypper"

family(tool) := "pip" if regex.match(`^pip[0-9.]*$`, tool)

# subcommand is the first argument that is neither an option nor an
# option's value ("install" in apt-get -o X=1 install curl).
subcommand(args) := args[k] if {
	k := min({i |
		some i, a in args
		not startswith(a, "-")
		not option_value(args, i)
	})
} else := ""

# option_value: args[i] is the value of the package manager option before it.
option_value(args, i) if {
	i > 0
	args[i - 1] in {
		"-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release",
		"--config", "-d", "-e", "-x", "--exclude", "--releasever", "--installroot", "--setopt",
		"--repo", "--repoid", "--enablerepo", "--disablerepo", "-X", "--repository", "-p", "--root",
		"--arch", "--cache-dir",
	}
}

# --- secret-looking names and values ----------------------------------------

# secret_name: the key, normalised to upper case with _ separators, ends with
# a credential word: DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY...
# Names that merely mention one (PASSWORD_FILE, TOKEN_URL, AWS_ACCESS_KEY_ID,
# GPG_KEY) do not match. Shared so the secret rules agree on what a secret is.
secret_name(key) if {
	n := upper(regex.replace(key, `[^A-Za-z0-9]+`, "_"))
	regex.match(`(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS|_PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY(_BASE)?|CREDENTIALS?|AUTH_?KEY)$`, n)
}

# has_ref: the value uses a variable ($X, ${X}, ${X:-default}).
has_ref(v) if regex.match(`\$(\{[A-Za-z_]|[A-Za-z_])`, v)

# is_path: a file path such as /run/secrets/db, ./key.json or ${HOME}/.token,
# which points at a secret rather than holding one.
is_path(v) if regex.match(`^(/|\./|~/|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/)`, v)

# literal: a value written out that can hold a secret: not empty, without
# variables, not a flag such as true/yes/1, not a file path.
literal(v) if {
	v != ""
	not has_ref(v)
	not lower(v) in {"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil"}
	not is_path(v)
}
