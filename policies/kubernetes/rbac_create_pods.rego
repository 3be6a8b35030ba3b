# METADATA
# title: RBAC permission to create pods
# description: A subject that can create pods can run any image with any service account of the namespace, mount every Secret and ConfigMap there and, unless Pod Security admission stops it, request privileged or host access; it inherits the permissions of every service account in scope. "*" verbs or resources count.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation
# custom:
#   id: k8s-rbac-create-pods
#   severity: medium
#   layer: cluster
#   kinds: [Role, ClusterRole]
#   controls:
#     - cis-k8s-1.10:5.1.4
#     - nsa-k8s:authentication-authorization
#   remediation: Remove create on pods from roles that do not need it; let deployment tooling manage controllers (Deployments, Jobs) in dedicated namespaces, and enforce Pod Security admission (restricted) where pod creation must be allowed.
package rampart.kubernetes.rbac_create_pods

import data.lib.kubernetes as k8s
import data.lib.rbac

deny contains res if {
	some g in rbac.core_grants({"create", "*"}, {"pods", "*"})
	res := {
		"msg": sprintf("%s %q: rules[%d] grants %s on %s, which allows creating pods", [input.kind, k8s.name, g.i, rbac.verb_list(g.verbs), rbac.resource_label(g.resource, "pods")]),
		"field": sprintf("rules[%d].resources[%d]", [g.i, g.j]),
	}
}
