# METADATA
# title: Unmasked /proc mount
# description: By default the container runtime masks and mounts read-only sensitive /proc paths; procMount Unmasked exposes them to the container. Pod Security Standards baseline requires procMount to be unset or Default, except in pods that run in a user namespace (hostUsers false).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-proc-mount
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:proc-mount
#     - nsa-k8s:pod-security
#   remediation: Remove securityContext.procMount or set it to Default; if an unmasked /proc is really needed (nested containers), run the pod in a user namespace with spec.hostUsers set to false.
package rampart.kubernetes.pss_proc_mount

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.not_user_namespace_pod
	some c in k8s.containers
	mount := c.container.securityContext.procMount
	mount != null
	mount != "Default"
	res := {
		"msg": sprintf("%s sets securityContext.procMount to %q outside a user namespace", [c.owner, mount]),
		"field": concat(".", [c.path, "securityContext.procMount"]),
	}
}
