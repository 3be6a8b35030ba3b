package rampart.kubernetes.rbac_create_pods_test

import data.rampart.kubernetes.rbac_create_pods as policy

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "runner", "namespace": "ci"}, "rules": rules}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_create_pods if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["configmaps", "pods"], "verbs": ["get", "create", "delete"]}])
	fields(obj) == {"rules[0].resources[1]"}
	messages(obj) == {`Role "runner": rules[0] grants create on pods, which allows creating pods`}
}

test_wildcards if {
	obj := role("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	messages(obj) == {`ClusterRole "runner": rules[0] grants "*" on "*" (which includes pods), which allows creating pods`}
}

test_read_only_passes if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}])
	count(fields(obj)) == 0
}

test_subresources_pass if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods/eviction", "pods/log"], "verbs": ["create", "get"]}])
	count(fields(obj)) == 0
}

test_other_group_passes if {
	obj := role("Role", [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]}])
	count(fields(obj)) == 0
}
