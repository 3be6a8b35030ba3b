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
import data.lib.rbac

exec_verbs := {"create", "get", "*"}

exec_resources := {"pods/exec", "pods/attach", "pods/*", "*"}

deny contains res if {
	some g in rbac.core_grants(exec_verbs, exec_resources)
	res := {
		"msg": sprintf("%s %q: rules[%d] grants %s on %s, which allows running commands in pods", [input.kind, k8s.name, g.i, rbac.verb_list(g.verbs), rbac.resource_label(g.resource, "pods/exec and pods/attach")]),
		"field": sprintf("rules[%d].resources[%d]", [g.i, g.j]),
	}
}
