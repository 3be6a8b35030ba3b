# METADATA
# title: No HEALTHCHECK in the final image
# description: |
#   Without a HEALTHCHECK, Docker and Swarm only know whether the process is
#   running, not whether it still serves; a hung service is never restarted.
#   The rule looks at the final stage and the earlier stages it is built FROM.
#   An explicit "HEALTHCHECK NONE" counts as a deliberate choice (for example
#   when Kubernetes probes do the job, since Kubernetes ignores HEALTHCHECK) and
#   is not reported. A HEALTHCHECK inherited from an external base image cannot
#   be seen and is not taken into account.
# related_resources:
#   - ref: https://docs.docker.com/reference/dockerfile/#healthcheck
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-no-healthcheck
#   severity: low
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.6
#   remediation: Add a HEALTHCHECK to the final stage that probes the service cheaply, for example HEALTHCHECK --interval=30s --timeout=3s CMD ["/app", "healthcheck"] (exec form works in distroless and scratch images), or write HEALTHCHECK NONE to record that the orchestrator checks health instead.
package rampart.dockerfile.no_healthcheck

import data.lib.dockerfile as docker

deny contains res if {
	count(input.stages) > 0
	not has_healthcheck
	res := docker.result(
		sprintf("the final stage (FROM %s) has no HEALTHCHECK instruction", [docker.final_stage.base]),
		docker.from_command(docker.final_index),
	)
}

has_healthcheck if {
	some i in docker.final_chain
	some c in input.stages[i].commands
	c.cmd == "healthcheck"
}
