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

role_kinds := {"Role", "ClusterRole"}

read_verbs := {"get", "list", "watch", "*"}

deny contains res if {
	role_kinds[input.kind]
	some i, rule in input.rules
	core_group(rule)
	count(object.get(rule, "resourceNames", [])) == 0
	verbs := [v | some v in rule.verbs; read_verbs[v]]
	count(verbs) > 0
	some j, resource in rule.resources
	resource in {"secrets", "*"}
	res := k8s.result(
		sprintf("%s %q: rules[%d] grants %s on %s%s", [input.kind, k8s.name, i, verb_list(verbs), resource_label(resource), scope]),
		sprintf("rules[%d].resources[%d]", [i, j]),
	)
}

core_group(rule) if {
	some g in rule.apiGroups
	g in {"", "*"}
}

resource_label("secrets") := "secrets"

resource_label("*") := "\"*\" (which includes secrets)"

scope := sprintf(" in namespace %q", [k8s.namespace]) if {
	input.kind == "Role"
	k8s.namespace != ""
} else := " (in every namespace when bound by a ClusterRoleBinding)" if {
	input.kind == "ClusterRole"
} else := ""

verb_list(verbs) := concat(", ", [label | some v in verbs; label := verb_label(v)])

verb_label("*") := "\"*\""

verb_label(v) := v if v != "*"
