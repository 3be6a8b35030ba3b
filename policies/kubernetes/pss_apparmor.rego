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

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

# A pod or container profile with a type other than RuntimeDefault or Localhost.
deny contains res if {
	some p in k8s.disallowed.appArmorProfile # the cached rule rather than the function, which copies it
	res := {
		"msg": sprintf("%s sets %s with %s; only RuntimeDefault or Localhost are allowed", [p.owner, p.phrase, k8s.describe_profile_type(p.type)]),
		"field": p.field,
	}
}

deny contains res if {
	some key, value in k8s.pod_annotations
	startswith(key, annotation_prefix)
	not allowed_annotation_value(value)
	res := {
		"msg": sprintf("%s %q sets AppArmor annotation %s to %q; only runtime/default or localhost/<profile> are allowed", [input.kind, k8s.name, key, value]),
		"field": sprintf("%s.annotations[%q]", [k8s.pod_metadata_path, key]),
	}
}

allowed_annotation_value(value) if value == null

allowed_annotation_value(value) if value == ""

allowed_annotation_value(value) if value == "runtime/default"

allowed_annotation_value(value) if startswith(value, "localhost/")
