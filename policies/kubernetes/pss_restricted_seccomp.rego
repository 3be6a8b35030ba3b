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

allowed_types := {"RuntimeDefault", "Localhost"}

# A profile written at pod level with a type other than RuntimeDefault or Localhost.
deny contains res if {
	not windows_pod
	profile := k8s.pod_spec.securityContext.seccompProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets a pod seccomp profile with %s; it must be RuntimeDefault or Localhost", [input.kind, k8s.name, describe(type)]),
		type_field(k8s.field(k8s.pod_spec_path, "securityContext.seccompProfile"), profile),
	)
}

# A profile written in a container with a type other than RuntimeDefault or Localhost.
deny contains res if {
	not windows_pod
	some c in k8s.containers
	profile := c.container.securityContext.seccompProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets a seccomp profile with %s; it must be RuntimeDefault or Localhost", [label(c), object.get(c.container, "name", ""), describe(type)]),
		type_field(k8s.field(c.path, "securityContext.seccompProfile"), profile),
	)
}

# No profile in the container and no valid one at pod level to inherit.
deny contains res if {
	not windows_pod
	not pod_profile_valid
	some c in k8s.containers
	not written(c.container)
	res := k8s.result(
		sprintf("%s %q has no seccomp profile and the pod sets no RuntimeDefault or Localhost profile", [label(c), object.get(c.container, "name", "")]),
		c.path,
	)
}

pod_profile_valid if {
	profile := k8s.pod_spec.securityContext.seccompProfile
	profile != null
	allowed_types[value_or(profile, "type", "")]
}

written(container) if container.securityContext.seccompProfile != null

# The restricted profile skips this check for Windows pods.
windows_pod if k8s.pod_spec.os.name == "windows"

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
