# METADATA
# title: Seccomp profile set to Unconfined
# description: A seccomp profile filters the system calls a container can make; Unconfined turns the filter off and exposes the whole kernel syscall surface. Pod Security Standards baseline allows seccompProfile.type only RuntimeDefault or Localhost when it is set, at pod or container level (an unset profile is allowed by the baseline; the restricted k8s-pss-restricted-seccomp rule requires one).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   - ref: https://kubernetes.io/docs/tutorials/security/seccomp/
# custom:
#   id: k8s-pss-baseline-seccomp
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:seccomp
#     - cis-k8s-1.10:5.7.2
#     - nsa-k8s:pod-security
#   remediation: Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost with a reviewed localhostProfile) instead of Unconfined, preferably once at pod level.
package rampart.kubernetes.pss_baseline_seccomp

import data.lib.kubernetes as k8s

# A pod or container profile with a type other than RuntimeDefault or Localhost.
deny contains res if {
	some p in k8s.disallowed.seccompProfile # the cached rule rather than the function, which copies it
	res := {
		"msg": sprintf("%s sets %s with %s; only RuntimeDefault or Localhost are allowed", [p.owner, p.phrase, k8s.describe_profile_type(p.type)]),
		"field": p.field,
	}
}
