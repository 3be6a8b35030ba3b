# METADATA
# title: Package index refreshed without installing
# description: |
#   A RUN that only refreshes the package index (apt-get update, apt update,
#   apk update, yum/dnf makecache, zypper refresh) is cached as its own layer.
#   Later builds reuse that layer while the RUN that installs packages changes,
#   so packages are installed from a stale index: old versions with known
#   vulnerabilities, or 404 errors once mirrors drop them. The refresh belongs
#   in the same RUN as the install. A RUN that also calls a shell script (*.sh)
#   is not reported, since the script may do the install.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#apt-get
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-update-alone
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.7
#   remediation: Refresh and install in one RUN, for example RUN apt-get update && apt-get install -y --no-install-recommends <packages> && rm -rf /var/lib/apt/lists/*, or use apk add --no-cache which needs no separate apk update.
package rampart.dockerfile.update_alone

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "run"
	text := run_text(c)
	some call in pm_calls(c)
	refresh(call)
	not regex.match(consumers[call.family], text)
	not runs_script(text)
	res := docker.result(
		sprintf("RUN refreshes the package index with \"%s %s\" but installs nothing in the same instruction; a later build can reuse this cached layer and install from a stale index", [call.tool, call.sub]),
		c,
	)
}

refresh(call) if {
	call.family in {"apt", "apk"}
	call.sub == "update"
}

refresh(call) if {
	call.family == "yum"
	call.sub == "makecache"
}

refresh(call) if {
	call.family == "zypper"
	call.sub in {"refresh", "ref"}
}

# A package manager of the same family that installs or upgrades something.
consumers := {
	"apt": `(^|[^A-Za-z0-9_.-])(apt-get|apt|aptitude)\s[^;&|\n]*\b(install|upgrade|dist-upgrade|full-upgrade|build-dep|reinstall|satisfy|source)\b`,
	"apk": `(^|[^A-Za-z0-9_.-])apk\s[^;&|\n]*\b(add|upgrade|fix)\b`,
	"yum": `(^|[^A-Za-z0-9_.-])(yum|dnf|microdnf|tdnf)\s[^;&|\n]*\b(install|groupinstall|localinstall|reinstall|upgrade|update|distro-sync|builddep)\b`,
	"zypper": `(^|[^A-Za-z0-9_.-])zypper\s[^;&|\n]*\b(install|in|update|up|dist-upgrade|dup|patch|source-install|si)\b`,
}

runs_script(text) if {
	some seg in segments(text)
	endswith(command(seg)[0], ".sh")
}

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
