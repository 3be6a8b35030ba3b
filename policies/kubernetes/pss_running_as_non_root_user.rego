# METADATA
# title: Container runs as UID 0
# description: runAsUser 0 runs the container's processes as root whatever the image says, so a compromise gives root inside the container and a head start for escaping. Pod Security Standards restricted forbids runAsUser=0 at pod and container level, and relaxes the check for pods in a user namespace (hostUsers false).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
# custom:
#   id: k8s-pss-running-as-non-root-user
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:running-as-non-root-user
#     - cis-k8s-1.10:5.2.7
#     - nsa-k8s:non-root
#   remediation: Set runAsUser to a non-zero UID (for example 10001) or remove it and build the image with a numeric non-root USER; also set runAsNonRoot to true.
package rampart.kubernetes.pss_running_as_non_root_user

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.not_user_namespace_pod
	k8s.pod_spec.securityContext.runAsUser == 0
	res := {
		"msg": sprintf("%s %q sets the pod's securityContext.runAsUser=0 (root)", [input.kind, k8s.name]),
		"field": concat(".", [k8s.pod_spec_path, "securityContext.runAsUser"]),
	}
}

deny contains res if {
	k8s.not_user_namespace_pod
	some c in k8s.containers
	c.container.securityContext.runAsUser == 0
	res := {
		"msg": sprintf("%s sets securityContext.runAsUser=0 (root)", [c.owner]),
		"field": concat(".", [c.path, "securityContext.runAsUser"]),
	}
}
