# METADATA
# title: cluster-admin bound to a service account, user or group
# description: A RoleBinding or ClusterRoleBinding to the cluster-admin ClusterRole gives its subjects unrestricted control of the cluster (or, through a RoleBinding, of the namespace, including its RBAC and Secrets). Bound to a service account, every pod running as that account, and anyone who steals its token, becomes cluster administrator. cluster-admin should be reserved for break-glass human access. The built-in binding to group system:masters is ignored; bindings to broad groups and anonymous users are reported by k8s-cluster-admin-broad-subject.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: k8s-cluster-admin-binding
#   severity: high
#   layer: cluster
#   kinds: [ClusterRoleBinding, RoleBinding]
#   controls:
#     - cis-k8s-1.10:5.1.1
#     - nsa-k8s:authentication-authorization
#   remediation: Bind a dedicated Role or ClusterRole that lists only the API groups, resources and verbs the subject needs; keep cluster-admin for a small, audited group of administrators (ideally through just-in-time access), never for workloads.
package rampart.kubernetes.cluster_admin_binding

import data.lib.kubernetes as k8s
import data.lib.rbac

deny contains res if {
	rbac.cluster_admin_binding
	some i, subject in input.subjects
	not rbac.broad_subject(subject) # reported by k8s-cluster-admin-broad-subject
	not system_masters(subject)
	res := {
		"msg": sprintf("%s %q grants cluster-admin%s to %s", [input.kind, k8s.name, rbac.binding_scope, describe(subject)]),
		"field": sprintf("subjects[%d]", [i]),
	}
}

system_masters(subject) if {
	subject.kind == "Group"
	subject.name == "system:masters"
}

describe(s) := sprintf("service account %q", [concat("/", [sa_namespace(s), s.name])]) if {
	s.kind == "ServiceAccount"
	sa_namespace(s) != ""
} else := sprintf("%s %q", [lower(object.get(s, "kind", "subject")), object.get(s, "name", "")])

sa_namespace(s) := s.namespace if {
	is_string(s.namespace)
	s.namespace != ""
} else := k8s.namespace
