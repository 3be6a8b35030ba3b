# METADATA
# title: Image runs as root
# description: |
#   The image's default user is root, either because the last USER of the final
#   stage is root (root, 0, root:root, 0:0...) or because the final stage never
#   sets a USER. A process running as root in a container needs only one more
#   weakness (a kernel bug, a mounted socket, a writable host path) to own the
#   node. USER does not carry over between stages, except that a stage built
#   FROM an earlier stage inherits that stage's USER; the rule follows that
#   chain. A final stage without any USER is accepted only when its base image
#   tag says it already runs unprivileged (distroless ":nonroot" and similar
#   "nonroot"/"rootless" tags, "*-unprivileged" images). USER values made of
#   variables that cannot be resolved from ARG/ENV defaults are given the
#   benefit of the doubt.
# related_resources:
#   - ref: https://docs.docker.com/reference/dockerfile/#user
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-root-user
#   severity: high
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.1
#   remediation: Create an unprivileged user (or use a numeric UID such as 65532 that needs no /etc/passwd entry) and end the final stage with USER <name-or-uid>, for example USER 65532:65532 or USER nonroot:nonroot. Keep USER root only in builder stages or around the RUN steps that need it.
package rampart.dockerfile.root_user

import data.lib.dockerfile as docker

deny contains res if {
	c := effective_user
	u := user_value(c)
	is_root(u)
	res := docker.result(
		sprintf("the final image runs as root: its last USER instruction sets %q", [u]),
		c,
	)
}

deny contains res if {
	count(input.stages) > 0
	count(user_stages) == 0
	first := min(final_chain)
	not unprivileged_base(input.stages[first].base)
	res := docker.result(
		sprintf("the final stage (FROM %s) sets no USER, so the container runs as root", [input.stages[final_index].base]),
		from_command(final_index),
	)
}

is_root(u) if {
	name := split(u, ":")[0]
	name in {"root", "0"}
}

# The USER value after ${VAR} expansion; undefined when a variable cannot be
# resolved (then nothing is reported).
user_value(c) := resolve(raw, user_vars(c)) if {
	raw := unquote(trim_space(values(c)[0]))
}

# Variables visible to a USER instruction: global ARG defaults, overridden by
# ARG and ENV defaults set earlier in the same stage.
user_vars(c) := object.union(global_vars, stage_vars(c))

stage_vars(c) := {k: v |
	entries := [[(x.start_line * 10000) + j, p.key, p.value] |
		some x in input.stages[effective_stage].commands
		x.cmd in {"arg", "env"}
		x.start_line < c.start_line
		some j, p in kv_pairs(x)
		p.set
	]
	some e in entries
	k := e[1]
	e[0] == max({y[0] | some y in entries; y[1] == k})
	v := e[2]
}

# Base images that document a non-root default user in their name or tag.
unprivileged_base(base) if {
	ref := resolve(base, global_vars)
	t := tag(ref)
	some marker in {"nonroot", "rootless"}
	contains(t, marker)
}

unprivileged_base(base) if {
	ref := resolve(base, global_vars)
	endswith(repository(ref), "-unprivileged")
}

# --- stages ---------------------------------------------------------------

final_index := count(input.stages) - 1

# parent(i) is the earlier stage that stage i is built FROM, if any.
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

# The final stage and every stage it inherits from.
final_chain := graph.reachable(
	{i: [p | p := parent(i)] | some i, _ in input.stages},
	{final_index},
)

user_stages := {i |
	some i in final_chain
	some c in input.stages[i].commands
	c.cmd == "user"
}

# The nearest stage of the chain that sets USER (parents have lower indexes).
effective_stage := max(user_stages)

effective_user := c if {
	lines := {x.start_line | some x in input.stages[effective_stage].commands; x.cmd == "user"}
	some c in input.stages[effective_stage].commands
	c.cmd == "user"
	c.start_line == max(lines)
}

from_command(i) := c if {
	some c in input.stages[i].commands
	c.cmd == "from"
} else := {"cmd": "from", "start_line": input.stages[i].start_line, "end_line": input.stages[i].start_line}

# --- image references -----------------------------------------------------

# tag of an image reference ("" when there is none).
tag(ref) := t if {
	parts := split(split(ref, "@")[0], "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := substring(last, indexof(last, ":") + 1, -1)
} else := ""

repository(ref) := r if {
	parts := split(split(ref, "@")[0], "/")
	last := parts[count(parts) - 1]
	r := split(last, ":")[0]
}

# --- ARG/ENV values and variable expansion --------------------------------

values(c) := v if {
	is_array(c.value)
	v := c.value
} else := [c.value] if {
	is_string(c.value)
} else := []

# kv_pairs reads ARG/ENV/LABEL arguments given as flattened pairs
# ["K", "V", ...], as buildkit's (key, value, separator) triplets, or as
# "K=V" / "K" words (buildkit's raw ARG arguments).
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

# ARG arguments given as buildkit's raw words, one per word of the line:
# ARG A B=1 -> ["A", "B=1"].
arg_words(c) if {
	c.cmd == "arg"
	ws := [w | some w in regex.split(`\s+`, trim_space(c.original)); w != ""]
	count(ws) - 1 == count(values(c))
}

word_pair(w) := {"key": unquote(substring(w, 0, i)), "value": unquote(substring(w, i + 1, -1)), "set": true} if {
	i := indexof(w, "=")
	i > 0
} else := {"key": unquote(w), "value": "", "set": false}

unquote(s) := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	q := substring(s, 0, 1)
	q in {`"`, "'"}
	endswith(s, q)
} else := s

# Global ARG defaults (ARG before the first FROM); the last declaration wins.
global_vars := {k: v |
	entries := [[(c.start_line * 10000) + j, p.key, p.value] |
		some c in object.get(input, "args", [])
		some j, p in kv_pairs(c)
		p.set
	]
	some e in entries
	k := e[1]
	e[0] == max({y[0] | some y in entries; y[1] == k})
	v := e[2]
}

var_pattern := `\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`

# resolve expands $VAR, ${VAR}, ${VAR:-word} and ${VAR:+word}; it is
# undefined when a variable has no known value.
resolve(s, _) := s if not contains(s, "$")

resolve(s, vars) := out if {
	contains(s, "$")
	ms := regex.find_all_string_submatch_n(var_pattern, s, -1)
	repl := {m[0]: r | some m in ms; r := substitute(m, vars)}
	count(repl) == count({m[0] | some m in ms})
	out := strings.replace_n(repl, s)
	not contains(out, "$")
}

var_name(m) := concat("", [m[1], m[4]])

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

non_empty(vars, name, word) := vars[name] if {
	vars[name] != ""
} else := word

alternative(true, word) := word

alternative(false, _) := ""
