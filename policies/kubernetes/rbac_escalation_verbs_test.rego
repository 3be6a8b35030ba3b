package rampart.kubernetes.rbac_escalation_verbs_test

import data.rampart.kubernetes.rbac_escalation_verbs as policy

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "rbac-manager", "namespace": "shop"}, "rules": rules}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_bind_and_escalate if {
	obj := role("ClusterRole", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles", "roles"], "verbs": ["get", "bind", "escalate"]}])
	fields(obj) == {"rules[0].verbs[1]", "rules[0].verbs[2]"}
	messages(obj) == {
		`ClusterRole "rbac-manager": rules[0] grants bind on clusterroles, roles`,
		`ClusterRole "rbac-manager": rules[0] grants escalate on clusterroles, roles`,
	}
}

test_impersonate if {
	obj := role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]},
	])
	fields(obj) == {"rules[1].verbs[0]"}
}

test_wildcard_verb_on_rbac if {
	obj := role("Role", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"], "verbs": ["*"]}])
	fields(obj) == {"rules[0].verbs[0]"}
	messages(obj) == {`Role "rbac-manager": rules[0] grants verb "*" on roles, which includes bind, escalate or impersonate`}
}

test_wildcard_verb_on_wildcard_resource if {
	obj := role("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	fields(obj) == {"rules[0].verbs[0]"}
}

test_wildcard_verb_on_userextras if {
	obj := role("ClusterRole", [{"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"], "verbs": ["*"]}])
	fields(obj) == {"rules[0].verbs[0]"}
}

test_wildcard_verb_elsewhere_passes if {
	obj := role("Role", [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}])
	count(fields(obj)) == 0
}

test_plain_rbac_management_passes if {
	obj := role("Role", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["get", "list", "create", "update"]}])
	count(fields(obj)) == 0
}

test_escalation_verb_without_resources if {
	obj := role("ClusterRole", [{"apiGroups": ["rbac.authorization.k8s.io"], "verbs": ["escalate"]}])
	messages(obj) == {`ClusterRole "rbac-manager": rules[0] grants escalate on no resources`}
}
