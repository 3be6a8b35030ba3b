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
	first := min(docker.final_chain)
	not unprivileged_base(input.stages[first].base)
	res := docker.result(
		sprintf("the final stage (FROM %s) sets no USER, so the container runs as root", [docker.final_stage.base]),
		docker.from_command(docker.final_index),
	)
}

is_root(u) if {
	name := split(u, ":")[0]
	name in {"root", "0"}
}

# The USER value after ${VAR} expansion; undefined when a variable cannot be
# resolved (then nothing is reported).
user_value(c) := docker.resolve(raw, user_vars(c)) if {
	raw := docker.unquote(trim_space(docker.values(c)[0]))
}

# Variables visible to a USER instruction: global ARG defaults, overridden by
# ARG and ENV defaults set earlier in the same stage.
user_vars(c) := object.union(docker.global_vars, stage_vars(c))

stage_vars(c) := docker.declared_vars([x |
	some x in input.stages[effective_stage].commands
	x.cmd in {"arg", "env"}
	x.start_line < c.start_line
])

# Base images that document a non-root default user in their name or tag.
unprivileged_base(base) if {
	ref := docker.resolve(base, docker.global_vars)
	t := docker.tag(ref)
	some marker in {"nonroot", "rootless"}
	contains(t, marker)
}

unprivileged_base(base) if {
	ref := docker.resolve(base, docker.global_vars)
	endswith(repository(ref), "-unprivileged")
}

# --- stages ---------------------------------------------------------------

user_stages := {i |
	some i in docker.final_chain
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

# --- image references -----------------------------------------------------

repository(ref) := r if {
	parts := split(split(ref, "@")[0], "/")
	last := parts[count(parts) - 1]
	r := split(last, ":")[0]
}
