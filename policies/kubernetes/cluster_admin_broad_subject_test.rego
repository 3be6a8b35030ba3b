package rampart.kubernetes.cluster_admin_broad_subject_test

import data.rampart.kubernetes.cluster_admin_broad_subject as policy

binding(kind, role, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "oops", "namespace": "shop"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": subjects,
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_broad_subjects if {
	obj := binding("ClusterRoleBinding", "cluster-admin", [
		{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
		{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "Group", "name": "system:serviceaccounts:shop", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "User", "name": "system:anonymous", "apiGroup": "rbac.authorization.k8s.io"},
	])
	fields(obj) == {"subjects[1]", "subjects[2]", "subjects[3]", "subjects[4]", "subjects[5]"}
	messages(obj) == {
		`ClusterRoleBinding "oops" grants cluster-admin to group "system:authenticated", that is to every authenticated user`,
		`ClusterRoleBinding "oops" grants cluster-admin to group "system:unauthenticated", that is to every anonymous request`,
		`ClusterRoleBinding "oops" grants cluster-admin to group "system:serviceaccounts", that is to every service account in the cluster`,
		`ClusterRoleBinding "oops" grants cluster-admin to group "system:serviceaccounts:shop", that is to every service account in namespace "shop"`,
		`ClusterRoleBinding "oops" grants cluster-admin to user "system:anonymous", that is to every anonymous request`,
	}
}

test_role_binding if {
	obj := binding("RoleBinding", "cluster-admin", [{"kind": "Group", "name": "system:serviceaccounts"}])
	messages(obj) == {`RoleBinding "oops" grants cluster-admin in namespace "shop" to group "system:serviceaccounts", that is to every service account in the cluster`}
}

test_other_roles_pass if {
	count(fields(binding("ClusterRoleBinding", "view", [{"kind": "Group", "name": "system:authenticated"}]))) == 0
}

test_specific_subjects_pass if {
	count(fields(binding("ClusterRoleBinding", "cluster-admin", [{"kind": "Group", "name": "system:masters"}, {"kind": "User", "name": "alice"}]))) == 0
}
