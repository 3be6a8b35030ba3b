package rampart.kubernetes.rbac_pod_exec_test

import data.rampart.kubernetes.rbac_pod_exec as policy

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "debugger", "namespace": "shop"}, "rules": rules}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_create_exec if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["create"]}])
	fields(obj) == {"rules[0].resources[1]"}
	messages(obj) == {`Role "debugger": rules[0] grants create on pods/exec, which allows running commands in pods`}
}

test_get_exec_and_attach if {
	obj := role("ClusterRole", [{"apiGroups": [""], "resources": ["pods/exec", "pods/attach", "pods/log"], "verbs": ["get"]}])
	fields(obj) == {"rules[0].resources[0]", "rules[0].resources[1]"}
}

test_subresource_wildcard if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}])
	messages(obj) == {`Role "debugger": rules[0] grants create on "pods/*" (which includes pods/exec and pods/attach), which allows running commands in pods`}
}

test_wildcards if {
	obj := role("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	fields(obj) == {"rules[0].resources[0]"}
}

test_pods_and_logs_pass if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch", "create"]}])
	count(fields(obj)) == 0
}

test_list_only_passes if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["list"]}])
	count(fields(obj)) == 0
}

test_other_group_passes if {
	obj := role("Role", [{"apiGroups": ["metrics.k8s.io"], "resources": ["*"], "verbs": ["get"]}])
	count(fields(obj)) == 0
}
