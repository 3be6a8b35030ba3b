# METADATA
# title: SSH port exposed
# description: |
#   The final image exposes port 22, which means it runs an SSH server: one
#   more daemon with credentials or keys to manage and attack, running beside
#   the application, usually as root. Containers are reached with docker exec
#   or kubectl exec instead. Reported for EXPOSE 22, 22/tcp or a port range
#   containing 22 in the final stage and the stages it is built FROM; EXPOSE in
#   discarded builder stages has no effect and is ignored.
# related_resources:
#   - ref: https://docs.docker.com/reference/dockerfile/#expose
# custom:
#   id: dockerfile-expose-ssh
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls: []
#   remediation: Remove the SSH server and EXPOSE 22; use docker exec / kubectl exec (or an ephemeral debug container) for interactive access, and copy files with docker cp / kubectl cp.
package rampart.dockerfile.expose_ssh

import data.lib.dockerfile as docker

deny contains res if {
	some i in docker.final_chain
	some c in input.stages[i].commands
	c.cmd == "expose"
	ports := [p | some p in docker.values(c); includes_22(p)]
	count(ports) > 0
	res := docker.result(sprintf("EXPOSE publishes the SSH port (%s)", [concat(", ", ports)]), c)
}

includes_22(p) if {
	port := split(p, "/")[0]
	port == "22"
}

includes_22(p) if {
	port := split(p, "/")[0]
	regex.match(`^[0-9]+-[0-9]+$`, port)
	bounds := split(port, "-")
	to_number(bounds[0]) <= 22
	to_number(bounds[1]) >= 22
}
