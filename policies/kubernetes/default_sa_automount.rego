# METADATA
# title: Default service account mounts its token
# description: Every namespace has a service account named default, used by any pod that names no other. When a manifest declares that default service account, it should set automountServiceAccountToken to false, so pods that silently fall back to it get no API credentials, and workloads that need API access are pushed to a dedicated service account.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts
# custom:
#   id: k8s-default-sa-automount
#   severity: low
#   layer: cluster
#   kinds: [ServiceAccount]
#   controls:
#     - cis-k8s-1.10:5.1.5
#     - nsa-k8s:authentication-authorization
#   remediation: Set automountServiceAccountToken false on the default ServiceAccount of each namespace, grant it no RoleBindings, and give workloads that call the Kubernetes API their own service account.
package rampart.kubernetes.default_sa_automount

import data.lib.kubernetes as k8s

deny contains res if {
	input.kind == "ServiceAccount"
	k8s.name == "default"
	not input.automountServiceAccountToken == false
	res := {
		"msg": sprintf("default ServiceAccount%s %s", [k8s.in_namespace, problem]),
		"field": anchor,
	}
}

problem := sprintf("sets automountServiceAccountToken to %v", [input.automountServiceAccountToken]) if {
	"automountServiceAccountToken" in object.keys(input)
} else := "does not set automountServiceAccountToken to false"

anchor := "automountServiceAccountToken" if {
	"automountServiceAccountToken" in object.keys(input)
} else := "metadata"
