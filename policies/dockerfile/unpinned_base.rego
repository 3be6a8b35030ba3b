# METADATA
# title: Base image not pinned
# description: |
#   A FROM image without a tag, or with the mutable "latest" tag, and without a
#   digest changes under your feet: each build may pull a different image, with
#   different packages and vulnerabilities, and a compromised or replaced
#   upstream image flows straight into yours. Every stage is checked, since
#   builder stages produce what the final image ships. "scratch", references to
#   earlier stages and images named by build arguments without a default are
#   skipped; ${VAR}, $VAR and ${VAR:-default} are expanded from the global ARG
#   defaults before the check.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#pin-base-image-versions
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-unpinned-base
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.2
#   remediation: Pin the base image to a specific version tag and preferably to a digest, for example FROM alpine:3.20@sha256:<digest>, and update it deliberately (Renovate and Dependabot can bump pinned digests).
package rampart.dockerfile.unpinned_base

import data.lib.dockerfile as docker

deny contains res if {
	some i, stage in input.stages
	not parent(i)
	ref := resolve(stage.base, global_vars)
	not lower(ref) in stage_names(i)
	lower(ref) != "scratch"
	not contains(ref, "@")
	problem := unpinned(tag(ref))
	res := docker.result(
		sprintf("%s base image %s %s", [stage_label(i), shown(stage.base, ref), problem]),
		from_command(i),
	)
}

unpinned("") := "has no tag or digest, so it means whatever \"latest\" is at build time"

unpinned("latest") := "uses the mutable \"latest\" tag and no digest"

shown(base, ref) := sprintf("%q", [base]) if base == ref

shown(base, ref) := sprintf("%q (resolves to %q)", [base, ref]) if base != ref

stage_label(i) := sprintf("stage %q:", [input.stages[i].name]) if {
	object.get(input.stages[i], "name", "") != ""
} else := sprintf("stage %d:", [i])

stage_names(i) := {lower(s.name) |
	some j, s in input.stages
	j < i
	object.get(s, "name", "") != ""
}

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
