package rampart.kubernetes.rbac_secrets_read_test

import data.rampart.kubernetes.rbac_secrets_read as policy

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "reader", "namespace": "shop"}, "rules": rules}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_list_secrets_cluster_role if {
	obj := role("ClusterRole", [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list", "watch"]}])
	fields(obj) == {"rules[0].resources[1]"}
	messages(obj) == {`ClusterRole "reader": rules[0] grants get, list, watch on secrets (in every namespace when bound by a ClusterRoleBinding)`}
}

test_get_secrets_role if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
	messages(obj) == {`Role "reader": rules[0] grants get on secrets in namespace "shop"`}
}

test_wildcard_verbs_and_resources if {
	obj := role("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	fields(obj) == {"rules[0].resources[0]"}
	messages(obj) == {`ClusterRole "reader": rules[0] grants "*" on "*" (which includes secrets) (in every namespace when bound by a ClusterRoleBinding)`}
}

test_write_only_passes if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "update", "delete"]}])
	count(fields(obj)) == 0
}

test_resource_names_pass if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-tls"], "verbs": ["get"]}])
	count(fields(obj)) == 0
}

test_other_api_group_passes if {
	# secrets exist only in the core group; a rule for another group does not match them.
	obj := role("Role", [{"apiGroups": ["example.com"], "resources": ["secrets"], "verbs": ["get"]}])
	count(fields(obj)) == 0
}

test_no_secrets_passes if {
	obj := role("ClusterRole", [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"]}])
	count(fields(obj)) == 0
}

test_role_without_namespace if {
	obj := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]}
	messages(obj) == {`Role "reader": rules[0] grants list on secrets`}
}
