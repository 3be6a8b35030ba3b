package rampart.kubernetes.cluster_admin_binding_test

import data.rampart.kubernetes.cluster_admin_binding as policy

binding(kind, role, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "ops", "namespace": "shop"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": subjects,
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_service_account if {
	obj := binding("ClusterRoleBinding", "cluster-admin", [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}])
	fields(obj) == {"subjects[0]"}
	messages(obj) == {`ClusterRoleBinding "ops" grants cluster-admin to service account "ci/deployer"`}
}

test_role_binding_scope_and_default_namespace if {
	obj := binding("RoleBinding", "cluster-admin", [{"kind": "ServiceAccount", "name": "default"}])
	messages(obj) == {`RoleBinding "ops" grants cluster-admin in namespace "shop" to service account "shop/default"`}
}

test_users_and_groups if {
	obj := binding("ClusterRoleBinding", "cluster-admin", [
		{"kind": "User", "name": "alice@example.com", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "Group", "name": "platform", "apiGroup": "rbac.authorization.k8s.io"},
	])
	fields(obj) == {"subjects[0]", "subjects[1]"}
	messages(obj) == {
		`ClusterRoleBinding "ops" grants cluster-admin to user "alice@example.com"`,
		`ClusterRoleBinding "ops" grants cluster-admin to group "platform"`,
	}
}

test_broad_subjects_left_to_other_rule if {
	obj := binding("ClusterRoleBinding", "cluster-admin", [
		{"kind": "Group", "name": "system:authenticated"},
		{"kind": "Group", "name": "system:serviceaccounts:shop"},
		{"kind": "User", "name": "system:anonymous"},
		{"kind": "Group", "name": "system:masters"},
		{"kind": "ServiceAccount", "name": "x", "namespace": "y"},
	])
	fields(obj) == {"subjects[4]"}
}

test_other_roles_pass if {
	count(fields(binding("ClusterRoleBinding", "view", [{"kind": "ServiceAccount", "name": "x", "namespace": "y"}]))) == 0
	count(fields(binding("ClusterRoleBinding", "admin", [{"kind": "User", "name": "alice"}]))) == 0
}

test_role_named_cluster_admin_is_not_the_cluster_role if {
	obj := object.union(binding("RoleBinding", "cluster-admin", [{"kind": "User", "name": "alice"}]), {"roleRef": {"kind": "Role"}})
	count(fields(obj)) == 0
}
