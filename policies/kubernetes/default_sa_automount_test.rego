package rampart.kubernetes.default_sa_automount_test

import data.rampart.kubernetes.default_sa_automount as policy

sa(name, extra) := object.union({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop"}}, extra)

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_default_without_field if {
	fields(sa("default", {})) == {"metadata"}
	messages(sa("default", {})) == {`default ServiceAccount in namespace "shop" does not set automountServiceAccountToken to false`}
}

test_default_true if {
	fields(sa("default", {"automountServiceAccountToken": true})) == {"automountServiceAccountToken"}
	messages(sa("default", {"automountServiceAccountToken": true})) == {`default ServiceAccount in namespace "shop" sets automountServiceAccountToken to true`}
}

test_default_without_namespace if {
	obj := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}
	messages(obj) == {`default ServiceAccount does not set automountServiceAccountToken to false`}
}

test_default_false_passes if {
	count(fields(sa("default", {"automountServiceAccountToken": false}))) == 0
}

test_other_service_account_ignored if {
	count(fields(sa("web", {}))) == 0
}

test_other_kind_ignored if {
	count(fields({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "default"}})) == 0
}
