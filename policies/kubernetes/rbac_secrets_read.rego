# METADATA
# title: RBAC read access to Secrets
# description: get, list or watch on secrets (directly, or through a "*" verb or resource) returns the Secrets' values, which include database passwords, TLS keys, registry credentials and, on older clusters, service account tokens that carry other identities' permissions. list and watch return every Secret in scope at once. Rules limited to named Secrets with resourceNames are not flagged.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets
# custom:
#   id: k8s-rbac-secrets-read
#   severity: high
#   layer: cluster
#   kinds: [Role, ClusterRole]
#   controls:
#     - cis-k8s-1.10:5.1.2
#     - nsa-k8s:authentication-authorization
#     - nsa-k8s:secrets
#   remediation: Remove get, list and watch on secrets from the role; if the subject needs particular Secrets, grant get only with resourceNames listing them, in a Role in that namespace rather than a ClusterRole, or mount the Secrets into the pod instead.
package rampart.kubernetes.rbac_secrets_read

import data.lib.kubernetes as k8s
import data.lib.rbac

read_verbs := {"get", "list", "watch", "*"}

deny contains res if {
	some g in rbac.core_grants(read_verbs, {"secrets", "*"})
	count(object.get(g.rule, "resourceNames", [])) == 0
	res := {
		"msg": sprintf("%s %q: rules[%d] grants %s on %s%s", [input.kind, k8s.name, g.i, rbac.verb_list(g.verbs), rbac.resource_label(g.resource, "secrets"), scope]),
		"field": sprintf("rules[%d].resources[%d]", [g.i, g.j]),
	}
}

scope := k8s.in_namespace if {
	input.kind == "Role"
} else := " (in every namespace when bound by a ClusterRoleBinding)" if {
	input.kind == "ClusterRole"
} else := ""
