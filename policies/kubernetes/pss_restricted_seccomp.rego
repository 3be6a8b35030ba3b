# METADATA
# title: Seccomp profile not set
# description: Without a seccomp profile most runtimes run the container unconfined, with every system call available. Pod Security Standards restricted requires seccompProfile.type RuntimeDefault or Localhost, set at pod level or in every container, and forbids any other value anywhere; Windows pods (spec.os.name windows) are exempt.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
#   - ref: https://kubernetes.io/docs/tutorials/security/seccomp/
# custom:
#   id: k8s-pss-restricted-seccomp
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:seccomp
#     - cis-k8s-1.10:5.7.2
#     - nsa-k8s:pod-security
#   remediation: Set spec.securityContext.seccompProfile.type to RuntimeDefault (or Localhost with a reviewed localhostProfile) at pod level, and remove any other seccomp profile type from containers.
package rampart.kubernetes.pss_restricted_seccomp

import data.lib.kubernetes as k8s

# A profile written at pod level or in a container with a type other than RuntimeDefault or Localhost.
deny contains res if {
	k8s.not_windows_pod
	some p in k8s.disallowed.seccompProfile # the cached rule rather than the function, which copies it
	res := {
		"msg": sprintf("%s sets %s with %s; it must be RuntimeDefault or Localhost", [p.owner, p.phrase, k8s.describe_profile_type(p.type)]),
		"field": p.field,
	}
}

# No profile in the container and no valid one at pod level to inherit.
deny contains res if {
	k8s.not_windows_pod
	not pod_profile_valid
	some c in k8s.containers
	object.get(c.container, ["securityContext", "seccompProfile"], null) == null # absent or null
	res := {
		"msg": sprintf("%s has no seccomp profile and the pod sets no RuntimeDefault or Localhost profile", [c.owner]),
		"field": c.path,
	}
}

pod_profile_valid if {
	profile := k8s.pod_spec.securityContext.seccompProfile
	profile != null
	k8s.allowed_profile_types[k8s.value_or(profile, "type", "")]
}
