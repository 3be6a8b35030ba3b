# METADATA
# title: RBAC access to exec or attach into pods
# description: create on pods/exec or pods/attach lets a subject run commands inside any pod in scope, taking over its service account token, mounted Secrets and network position. Clusters where kubectl uses WebSockets and the AuthorizePodWebsocketUpgradeCreatePermission gate is not enabled authorize the upgrade as get, so get is treated as exec access too. "*" verbs and "*" or pods/* resources count.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
# custom:
#   id: k8s-rbac-pod-exec
#   severity: high
#   layer: cluster
#   kinds: [Role, ClusterRole]
#   controls:
#     - nsa-k8s:authentication-authorization
#   remediation: Remove pods/exec and pods/attach (and "*" or pods/* resources) from roles used by applications and CI; keep exec for break-glass administrator roles in the namespaces they operate, and prefer logs and ephemeral debug containers under review.
package rampart.kubernetes.rbac_pod_exec

import data.lib.kubernetes as k8s

role_kinds := {"Role", "ClusterRole"}

exec_verbs := {"create", "get", "*"}

exec_resources := {"pods/exec", "pods/attach", "pods/*", "*"}

deny contains res if {
	role_kinds[input.kind]
	some i, rule in input.rules
	core_group(rule)
	verbs := [v | some v in rule.verbs; exec_verbs[v]]
	count(verbs) > 0
	some j, resource in rule.resources
	exec_resources[resource]
	res := k8s.result(
		sprintf("%s %q: rules[%d] grants %s on %s, which allows running commands in pods", [input.kind, k8s.name, i, verb_list(verbs), resource_label(resource)]),
		sprintf("rules[%d].resources[%d]", [i, j]),
	)
}

core_group(rule) if {
	some g in rule.apiGroups
	g in {"", "*"}
}

resource_label(r) := sprintf("%q (which includes pods/exec and pods/attach)", [r]) if {
	r in {"*", "pods/*"}
} else := r

verb_list(verbs) := concat(", ", [label | some v in verbs; label := verb_label(v)])

verb_label("*") := "\"*\""

verb_label(v) := v if v != "*"
