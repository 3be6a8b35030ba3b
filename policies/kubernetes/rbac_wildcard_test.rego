package rampart.kubernetes.rbac_wildcard_test

import data.rampart.kubernetes.rbac_wildcard as policy

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "ops", "namespace": "shop"}, "rules": rules}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_wildcard_verbs if {
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "*"]}])
	fields(obj) == {"rules[0].verbs[1]"}
	messages(obj) == {`Role "ops": rules[0].verbs is "*", so every verb on the listed resources is granted, including special verbs such as escalate, bind and impersonate`}
}

test_everything_wildcard if {
	obj := role("ClusterRole", [
		{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	fields(obj) == {"rules[1].apiGroups[0]", "rules[1].resources[0]", "rules[1].verbs[0]"}
}

test_wildcard_resources if {
	obj := role("ClusterRole", [{"apiGroups": [""], "resources": ["configmaps", "*"], "verbs": ["get"]}])
	messages(obj) == {`ClusterRole "ops": rules[0].resources is "*", so every resource and subresource of the listed API groups is granted`}
}

test_explicit_rules_pass if {
	obj := role("ClusterRole", [
		{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "pods/log"], "verbs": ["get", "list", "watch"]},
		{"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
	])
	count(fields(obj)) == 0
}

test_partial_wildcards_pass if {
	# Only a bare "*" is a wildcard; "pods/*" is reviewed by the exec rule.
	obj := role("Role", [{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}])
	count(fields(obj)) == 0
}

test_no_rules if {
	count(fields({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}})) == 0
}

test_other_kinds_ignored if {
	count(fields({"kind": "RoleBinding", "metadata": {"name": "x"}, "rules": [{"verbs": ["*"]}]})) == 0
}
