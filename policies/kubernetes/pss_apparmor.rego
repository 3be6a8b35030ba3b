# METADATA
# title: AppArmor profile overridden or disabled
# description: On AppArmor hosts the runtime's default profile confines every container. Pod Security Standards baseline forbids setting appArmorProfile.type to anything but RuntimeDefault or Localhost (Unconfined disables confinement) at pod or container level, and forbids the deprecated container.apparmor.security.beta.kubernetes.io/* annotations with values other than runtime/default or localhost/<profile>.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   - ref: https://kubernetes.io/docs/tutorials/security/apparmor/
# custom:
#   id: k8s-pss-apparmor
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:apparmor
#     - nsa-k8s:pod-security
#   remediation: Remove securityContext.appArmorProfile or set its type to RuntimeDefault (or Localhost with a reviewed localhostProfile); set AppArmor annotations to runtime/default or localhost/<profile>, or drop them in favour of the securityContext field.
package rampart.kubernetes.pss_apparmor

import data.lib.kubernetes as k8s

allowed_types := {"RuntimeDefault", "Localhost"}

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

deny contains res if {
	profile := k8s.pod_spec.securityContext.appArmorProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets a pod AppArmor profile with %s; only RuntimeDefault or Localhost are allowed", [input.kind, k8s.name, describe(type)]),
		type_field(k8s.field(k8s.pod_spec_path, "securityContext.appArmorProfile"), profile),
	)
}

deny contains res if {
	some c in k8s.containers
	profile := c.container.securityContext.appArmorProfile
	profile != null
	type := value_or(profile, "type", "")
	not allowed_types[type]
	res := k8s.result(
		sprintf("%s %q sets an AppArmor profile with %s; only RuntimeDefault or Localhost are allowed", [label(c), object.get(c.container, "name", ""), describe(type)]),
		type_field(k8s.field(c.path, "securityContext.appArmorProfile"), profile),
	)
}

deny contains res if {
	some key, value in k8s.pod_annotations
	startswith(key, annotation_prefix)
	not allowed_annotation_value(value)
	res := k8s.result(
		sprintf("%s %q sets AppArmor annotation %s to %q; only runtime/default or localhost/<profile> are allowed", [input.kind, k8s.name, key, value]),
		sprintf("%s.annotations[%q]", [k8s.pod_metadata_path, key]),
	)
}

allowed_annotation_value(value) if value == null

allowed_annotation_value(value) if value == ""

allowed_annotation_value(value) if value == "runtime/default"

allowed_annotation_value(value) if startswith(value, "localhost/")

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
