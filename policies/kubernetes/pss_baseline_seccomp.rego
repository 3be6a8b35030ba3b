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

allowed_types := {"RuntimeDefault", "Localhost"}

deny contains res if {
	profile := k8s.pod_spec.securityContext.seccompProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets a pod seccomp profile with %s; only RuntimeDefault or Localhost are allowed", [input.kind, k8s.name, describe(type)]),
		type_field(k8s.field(k8s.pod_spec_path, "securityContext.seccompProfile"), profile),
	)
}

deny contains res if {
	some c in k8s.containers
	profile := c.container.securityContext.seccompProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets a seccomp profile with %s; only RuntimeDefault or Localhost are allowed", [label(c), object.get(c.container, "name", ""), describe(type)]),
		type_field(k8s.field(c.path, "securityContext.seccompProfile"), profile),
	)
}

# value_or is obj[key], or default when the key is absent or null.
value_or(obj, key, fallback) := obj[key] if obj[key] != null

else := fallback

# type_field points at profile.type when written, else at the profile itself.
type_field(base, profile) := k8s.field(base, "type") if profile.type != null

else := base

# describe names a profile type for messages.
describe(type) := sprintf("type %q", [type]) if type != ""

else := "no type"

label(c) := "init container" if c.type == "initContainers"

label(c) := "ephemeral container" if c.type == "ephemeralContainers"

label(c) := "container" if c.type == "containers"
