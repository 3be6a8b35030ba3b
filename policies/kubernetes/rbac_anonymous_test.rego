package rampart.kubernetes.rbac_anonymous_test

import data.rampart.kubernetes.rbac_anonymous as policy

binding(kind, role_kind, role, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "public", "namespace": "shop"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
	"subjects": subjects,
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_anonymous_user if {
	obj := binding("ClusterRoleBinding", "ClusterRole", "view", [{"kind": "User", "name": "system:anonymous", "apiGroup": "rbac.authorization.k8s.io"}])
	fields(obj) == {"subjects[0]"}
	messages(obj) == {`ClusterRoleBinding "public" grants ClusterRole "view" to user "system:anonymous", that is to requests without credentials`}
}

test_unauthenticated_group_role_binding if {
	obj := binding("RoleBinding", "Role", "reader", [
		{"kind": "ServiceAccount", "name": "web", "namespace": "shop"},
		{"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"},
	])
	fields(obj) == {"subjects[1]"}
	messages(obj) == {`RoleBinding "public" grants Role "reader" in namespace "shop" to group "system:unauthenticated", that is to requests without credentials`}
}

test_ignored_roles if {
	count(fields(binding("ClusterRoleBinding", "ClusterRole", "system:public-info-viewer", [{"kind": "Group", "name": "system:unauthenticated"}]))) == 0
	count(fields(binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", [{"kind": "User", "name": "system:anonymous"}]))) == 0
}

test_authenticated_subjects_pass if {
	obj := binding("ClusterRoleBinding", "ClusterRole", "view", [
		{"kind": "Group", "name": "system:authenticated"},
		{"kind": "User", "name": "alice"},
		{"kind": "Group", "name": "system:anonymous"},
	])
	count(fields(obj)) == 0
}
