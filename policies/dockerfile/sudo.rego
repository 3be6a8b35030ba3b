# METADATA
# title: sudo used in RUN
# description: |
#   RUN instructions already run as the current USER, root by default; calling
#   sudo implies an image where an unprivileged user may become root through
#   sudo, which defeats the point of the unprivileged user, and sudo's TTY and
#   signal handling is unpredictable in builds and containers. Reported when
#   sudo is the command of any simple command of a RUN (installing the sudo
#   package is not reported here).
# related_resources:
#   - ref: https://docs.docker.com/reference/dockerfile/#user
# custom:
#   id: dockerfile-sudo
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls: []
#   remediation: Drop sudo. Switch with USER root before the privileged RUN steps and back to the unprivileged USER afterwards; at run time, drop privileges with gosu or su-exec in the entrypoint if you must start as root.
package rampart.dockerfile.sudo

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "run"
	some seg in docker.segments(docker.run_text(c))
	some w in leading_words(seg)
	docker.basename(w) == "sudo"
	res := docker.result(sprintf("RUN calls sudo: %q", [trim_space(seg)]), c)
}

# The words of a segment up to and including its command name (assignments,
# wrappers such as env or xargs and their options come first).
leading_words(seg) := array.slice(ws, 0, k + 1) if {
	ws := docker.words(seg)
	k := min({i | some i, w in ws; not wrapper_word(w)})
}

wrapper_word(w) if regex.match(`^[A-Za-z_][A-Za-z0-9_]*=`, w)

wrapper_word(w) if startswith(w, "-")

wrapper_word(w) if docker.basename(w) in {
	"env", "{", "!", "exec", "command", "time", "nice", "nohup", "xargs",
	"then", "do", "else", "sh", "bash", "dash", "ash", "zsh",
}
