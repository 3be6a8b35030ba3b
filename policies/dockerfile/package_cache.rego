# METADATA
# title: Package manager cache left in the image
# description: |
#   Package indexes and download caches left in a layer make the image bigger
#   and slower to pull and scan, and keep files nobody maintains. Reported, per
#   RUN of the final stage and the stages it is built FROM (builder stages are
#   discarded and may keep caches): apt-get/apt/aptitude update and install
#   without removing /var/lib/apt/lists in the same RUN (a RUN that installs
#   without refreshing the index adds no index of its own); apk add/upgrade
#   without --no-cache (or removing /var/cache/apk); yum/dnf/microdnf/tdnf installs
#   without "clean all" (or removing /var/cache/yum or /var/cache/dnf); pip
#   install without --no-cache-dir (or PIP_NO_CACHE_DIR set by ENV/ARG, or a
#   purge of the pip cache). A RUN --mount=type=cache (or tmpfs) over the
#   manager's cache directory keeps the cache out of the layer and is accepted.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#apt-get
#   - ref: https://docs.docker.com/build/cache/optimize/#use-cache-mounts
# custom:
#   id: dockerfile-package-cache
#   severity: low
#   layer: container
#   kinds: [Dockerfile]
#   controls: []
#   remediation: Clean up in the same RUN that installs (apt-get install ... && rm -rf /var/lib/apt/lists/*, apk add --no-cache, dnf install ... && dnf clean all, pip install --no-cache-dir), or mount the cache directory with RUN --mount=type=cache,target=<dir> so it never lands in the layer.
package rampart.dockerfile.package_cache

import data.lib.dockerfile as docker

deny contains res if {
	some i in final_chain
	some c in input.stages[i].commands
	c.cmd == "run"
	text := run_text(c)
	calls := pm_calls(c)
	leaks := {[call.family, call.tool] |
		some call in calls
		installs(call, calls)
		not cleaned(call, c, text)
	}
	some [family, tool] in leaks
	res := docker.result(sprintf(messages[family], [tool]), c)
}

messages := {
	"apt": "RUN installs packages with %s but does not remove /var/lib/apt/lists/* in the same instruction; the package index stays in the image layer",
	"apk": "RUN installs packages with %s without --no-cache; the downloaded package index stays in the image layer",
	"yum": "RUN installs packages with %s but does not run \"clean all\" in the same instruction; repository metadata and cached packages stay in the image layer",
	"pip": "RUN runs \"%s install\" without --no-cache-dir; downloaded packages stay in the pip cache in the image layer",
}

# apt: the index comes from "apt-get update"; an install in a RUN that does
# not refresh it adds no index of its own (Debian and Ubuntu images already
# delete downloaded .deb files).
installs(call, calls) if {
	call.family == "apt"
	call.sub in {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall"}
	some x in calls
	x.family == "apt"
	x.sub == "update"
}

installs(call, _) if {
	call.family == "apk"
	call.sub in {"add", "upgrade"}
}

installs(call, _) if {
	call.family == "yum"
	call.sub in {"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade"}
}

installs(call, _) if {
	call.family == "pip"
	call.sub == "install"
}

cleaned(call, c, _) if cache_mounted(c, call.family)

cleaned(call, _, text) if {
	call.family == "apt"
	contains(text, "/var/lib/apt/lists")
}

cleaned(call, _, _) if {
	call.family == "apk"
	"--no-cache" in call.args
}

cleaned(call, _, text) if {
	call.family == "apk"
	regex.match(`/var/cache/apk|(^|[^A-Za-z0-9_.-])apk\s+cache\s+(clean|purge)`, text)
}

cleaned(call, _, text) if {
	call.family == "yum"
	regex.match(`(^|[^A-Za-z0-9_.-])(yum|dnf|microdnf|tdnf)\s[^;&|\n]*\bclean\s+all\b|/var/cache/(yum|dnf|libdnf5)`, text)
}

cleaned(call, _, _) if {
	call.family == "pip"
	some a in call.args
	startswith(a, "--no-cache-dir")
}

cleaned(call, _, text) if {
	call.family == "pip"
	regex.match(`PIP_NO_CACHE_DIR=|\.cache/pip|pip[0-9.]*\s+cache\s+purge`, text)
}

cleaned(call, _, _) if {
	call.family == "pip"
	some i in final_chain
	some x in input.stages[i].commands
	x.cmd in {"env", "arg"}
	some p in kv_pairs(x)
	p.key == "PIP_NO_CACHE_DIR"
	p.value != ""
}

cleaned(call, _, _) if {
	call.family == "pip"
	some x in object.get(input, "args", [])
	some p in kv_pairs(x)
	p.key == "PIP_NO_CACHE_DIR"
	p.value != ""
}

# RUN --mount=type=cache (or tmpfs) over the manager's cache directory.
cache_mounted(c, family) if {
	some f in object.get(c, "flags", [])
	startswith(f, "--mount=")
	opts := split(substring(f, count("--mount="), -1), ",")
	some kind in opts
	kind in {"type=cache", "type=tmpfs"}
	some o in opts
	parts := split(o, "=")
	parts[0] in {"target", "dst", "destination"}
	covers(parts[1], family)
}

covers(target, "apt") if regex.match(`^/var/(lib|cache)/apt`, target)

covers(target, "apk") if regex.match(`^(/var/cache/apk|/etc/apk/cache)`, target)

covers(target, "yum") if regex.match(`^/var/cache/(yum|dnf|libdnf5)`, target)

covers(target, "pip") if regex.match(`\.cache|pip`, target)

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

# --- shell parsing ----------------------------------------------------------

# The shell source of a RUN: its arguments plus any heredoc bodies.
run_text(c) := concat("\n", array.concat(
	[concat(" ", values(c))],
	[body | some d in object.get(c, "heredocs", []); body := heredoc_body(d)],
))

heredoc_body(d) := object.get(d, "content", object.get(d, "Content", "")) if is_object(d)

heredoc_body(d) := d if is_string(d)

# Simple commands of a script: split at && || ; | & newlines, parentheses
# and backquotes (subshells, command substitution), and at then/do/else.
segments(text) := [s |
	some raw in regex.split("&&|\\|\\||[;|&\n()`]|(?:^|\\s)(?:then|do|else)\\s", replace(text, "\\\n", " "))
	s := trim_space(raw)
	s != ""
]

words(seg) := [w |
	some raw in regex.split(`\s+`, seg)
	w := trim(raw, `"'`)
	w != ""
]

# command is a segment's words from the command name on, after variable
# assignments, wrappers (sudo, env, xargs, exec...), "sh -c" and options.
command(seg) := array.slice(ws, k, count(ws)) if {
	ws := words(seg)
	k := min({i | some i, w in ws; not prefix_word(w)})
}

prefix_word(w) if regex.match(`^[A-Za-z_][A-Za-z0-9_]*=`, w)

prefix_word(w) if startswith(w, "-")

prefix_word(w) if basename(w) in {
	"sudo", "env", "{", "!", "exec", "command", "time", "nice", "nohup", "xargs",
	"then", "do", "else", "sh", "bash", "dash", "ash", "zsh",
}

basename(w) := parts[count(parts) - 1] if parts := split(w, "/")

values(c) := v if {
	is_array(c.value)
	v := c.value
} else := [c.value] if {
	is_string(c.value)
} else := []

# --- package manager calls --------------------------------------------------

# Package manager invocations of a RUN: {"tool", "family", "sub", "args"}.
pm_calls(c) := [call |
	some seg in segments(run_text(c))
	call := pm_call(command(seg))
]

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

family(tool) := "apt" if tool in {"apt-get", "apt", "aptitude"}

family(tool) := "apk" if tool == "apk"

family(tool) := "yum" if tool in {"yum", "dnf", "microdnf", "tdnf"}

family(tool) := "zypper" if tool == "zypper"

family(tool) := "pip" if regex.match(`^pip[0-9.]*$`, tool)

# The first argument that is neither an option nor an option's value.
subcommand(args) := args[k] if {
	k := min({i |
		some i, a in args
		not startswith(a, "-")
		not option_value(args, i)
	})
} else := ""

option_value(args, i) if {
	i > 0
	args[i - 1] in {
		"-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release",
		"--config", "-d", "-e", "-x", "--exclude", "--releasever", "--installroot", "--setopt",
		"--repo", "--repoid", "--enablerepo", "--disablerepo", "-X", "--repository", "-p", "--root",
		"--arch", "--cache-dir",
	}
}

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
