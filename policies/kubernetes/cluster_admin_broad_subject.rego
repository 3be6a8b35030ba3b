# METADATA
# title: cluster-admin granted to everyone, all service accounts or anonymous users
# description: Binding cluster-admin to system:authenticated (every user with any valid credential, which on some managed clusters means any account of the cloud provider), system:unauthenticated or the user system:anonymous (every request without credentials), or system:serviceaccounts[:<namespace>] (every pod of the cluster or namespace) makes full control of the cluster available to practically anyone. This is a classic cause of cluster takeovers.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#default-roles-and-role-bindings
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests
# custom:
#   id: k8s-cluster-admin-broad-subject
#   severity: critical
#   layer: cluster
#   kinds: [ClusterRoleBinding, RoleBinding]
#   controls:
#     - cis-k8s-1.10:5.1.1
#     - nsa-k8s:authentication-authorization
#   remediation: Delete the binding (or remove the subject) immediately, review audit logs for use of it, and grant specific users, groups or service accounts only the roles they need.
package rampart.kubernetes.cluster_admin_broad_subject

import data.lib.kubernetes as k8s
import data.lib.rbac

deny contains res if {
	rbac.cluster_admin_binding
	some i, subject in input.subjects
	who := rbac.broad_subject(subject)
	res := {
		"msg": sprintf("%s %q grants cluster-admin%s to %s %q, that is to %s", [input.kind, k8s.name, rbac.binding_scope, lower(object.get(subject, "kind", "subject")), subject.name, who]),
		"field": sprintf("subjects[%d]", [i]),
	}
}
