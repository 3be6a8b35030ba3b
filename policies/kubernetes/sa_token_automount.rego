# METADATA
# title: Service account token mounted automatically
# description: Unless the pod spec sets automountServiceAccountToken to false, Kubernetes mounts a token for the pod's service account into every container. Most applications never call the Kubernetes API, but anyone who compromises the container can use the token with whatever RBAC the service account has. The check looks at the pod spec only; a ServiceAccount with automountServiceAccountToken false also prevents the mount, but it is not visible from the workload manifest.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
# custom:
#   id: k8s-sa-token-automount
#   severity: low
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.1.6
#     - nsa-k8s:authentication-authorization
#   remediation: Set automountServiceAccountToken false in the pod spec (spec.template.spec for controllers) of workloads that do not talk to the Kubernetes API; workloads that do should use a dedicated service account with minimal RBAC and can mount a short-lived projected token explicitly.
package rampart.kubernetes.sa_token_automount

import data.lib.kubernetes as k8s

# A pod-level value overrides the ServiceAccount's setting; without one the ServiceAccount decides.
# Written but not false (true, null or anything else).
deny contains res if {
	k8s.is_workload
	spec := k8s.pod_spec
	is_object(spec)
	value := spec.automountServiceAccountToken
	value != false
	res := {
		"msg": sprintf("%s %q sets automountServiceAccountToken to %v, so the token of service account %q is mounted into every container", [input.kind, k8s.name, value, service_account(spec)]),
		"field": concat(".", [k8s.pod_spec_path, "automountServiceAccountToken"]),
	}
}

# Not written. Two bodies rather than helper functions with else branches, which cost more.
deny contains res if {
	k8s.is_workload
	spec := k8s.pod_spec
	is_object(spec)
	object.get(spec, "automountServiceAccountToken", null) == null # absent or null...
	not spec.automountServiceAccountToken # ...and absent or false, so absent (null is truthy)
	res := {
		"msg": sprintf("%s %q does not set automountServiceAccountToken to false; unless service account %q opts out, its token is mounted into every container", [input.kind, k8s.name, service_account(spec)]),
		"field": k8s.pod_spec_path,
	}
}

service_account(spec) := spec.serviceAccountName if {
	is_string(spec.serviceAccountName)
	spec.serviceAccountName != ""
} else := spec.serviceAccount if {
	is_string(spec.serviceAccount)
	spec.serviceAccount != ""
} else := "default"
