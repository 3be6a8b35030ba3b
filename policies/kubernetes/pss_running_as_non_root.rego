# METADATA
# title: Container may run as root
# description: Unless runAsNonRoot is true for the container (or for the pod and not overridden), the kubelet starts the container even when its image runs as UID 0, so a compromise gives root inside the container and a head start for escaping. Pod Security Standards restricted requires runAsNonRoot=true, set at pod level or in every container, forbids runAsNonRoot=false anywhere, and relaxes the check for pods in a user namespace (hostUsers false).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
# custom:
#   id: k8s-pss-running-as-non-root
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:running-as-non-root
#     - cis-k8s-1.10:5.2.7
#     - nsa-k8s:non-root
#   remediation: Set spec.securityContext.runAsNonRoot to true (or securityContext.runAsNonRoot to true in every container) and remove any runAsNonRoot=false; build the image with a numeric non-root USER or set runAsUser.
package rampart.kubernetes.pss_running_as_non_root

import data.lib.kubernetes as k8s

pod_context := object.get(k8s.pod_spec, "securityContext", {})

# runAsNonRoot explicitly false at pod level.
deny contains res if {
	k8s.not_user_namespace_pod
	value := pod_context.runAsNonRoot
	value != null
	value != true
	res := {
		"msg": sprintf("%s %q sets the pod's securityContext.runAsNonRoot=%v; it must be true", [input.kind, k8s.name, value]),
		"field": concat(".", [k8s.pod_spec_path, "securityContext.runAsNonRoot"]),
	}
}

# runAsNonRoot explicitly false in a container.
deny contains res if {
	k8s.not_user_namespace_pod
	some c in k8s.containers
	value := c.container.securityContext.runAsNonRoot
	value != null
	value != true
	res := {
		"msg": sprintf("%s sets securityContext.runAsNonRoot=%v; it must be true", [c.owner, value]),
		"field": concat(".", [c.path, "securityContext.runAsNonRoot"]),
	}
}

# runAsNonRoot unset in the container and not true at pod level.
deny contains res if {
	k8s.not_user_namespace_pod
	not pod_run_as_non_root
	some c in k8s.containers
	object.get(c.container, ["securityContext", "runAsNonRoot"], null) == null # absent or null
	res := {
		"msg": sprintf("%s does not set securityContext.runAsNonRoot=true and the pod does not either", [c.owner]),
		"field": c.path,
	}
}

pod_run_as_non_root if pod_context.runAsNonRoot == true
