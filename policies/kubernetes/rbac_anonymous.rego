# METADATA
# title: Role bound to anonymous or unauthenticated users
# description: A RoleBinding or ClusterRoleBinding whose subjects include the user system:anonymous or the group system:unauthenticated grants the role to every request that carries no credentials, that is to anyone who can reach the API server. Even read-only access leaks names, configuration and often Secrets, and anonymous access is a common first step of attacks on exposed clusters. The built-in system:public-info-viewer binding is ignored; cluster-admin bindings are reported by k8s-cluster-admin-broad-subject.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests
# custom:
#   id: k8s-rbac-anonymous
#   severity: critical
#   layer: cluster
#   kinds: [ClusterRoleBinding, RoleBinding]
#   controls:
#     - nsa-k8s:authentication-authorization
#   remediation: Remove system:anonymous and system:unauthenticated from the binding's subjects and bind the role to authenticated identities instead; consider disabling anonymous authentication on the API server (--anonymous-auth=false or an AuthenticationConfiguration limited to health endpoints).
package rampart.kubernetes.rbac_anonymous

import data.lib.kubernetes as k8s
import data.lib.rbac

# Roles that are expected to be open, or reported by another rule.
ignored_roles := {"system:public-info-viewer", "cluster-admin"}

anonymous_subjects := {
	"User": {"system:anonymous"},
	"Group": {"system:unauthenticated"},
}

deny contains res if {
	rbac.binding_kinds[input.kind]
	not ignored_role
	some i, subject in input.subjects
	anonymous_subjects[subject.kind][subject.name]
	res := {
		"msg": sprintf("%s %q grants %s %q%s to %s %q, that is to requests without credentials", [input.kind, k8s.name, object.get(input, ["roleRef", "kind"], "role"), object.get(input, ["roleRef", "name"], ""), rbac.binding_scope, lower(subject.kind), subject.name]),
		"field": sprintf("subjects[%d]", [i]),
	}
}

ignored_role if {
	input.roleRef.kind == "ClusterRole"
	ignored_roles[input.roleRef.name]
}
