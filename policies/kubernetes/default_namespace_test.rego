package rampart.kubernetes.default_namespace_test

import data.rampart.kubernetes.default_namespace as policy

obj(kind, namespace) := {"apiVersion": "v1", "kind": kind, "metadata": {"name": "web", "namespace": namespace}}

fields(o) := f if {
	f := {r.field | some r in policy.deny} with input as o
}

messages(o) := m if {
	m := {r.msg | some r in policy.deny} with input as o
}

test_explicit_default if {
	fields(obj("Deployment", "default")) == {"metadata.namespace"}
	messages(obj("Deployment", "default")) == {`Deployment "web" is in the default namespace`}
}

test_kinds if {
	every kind in ["Pod", "CronJob", "Service", "Secret", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Ingress"] {
		count(fields(obj(kind, "default"))) == 1
	}
}

test_other_namespace_passes if {
	count(fields(obj("Deployment", "shop"))) == 0
}

test_missing_namespace_passes if {
	count(fields({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}})) == 0
}

test_guardrails_and_cluster_scoped_ignored if {
	count(fields(obj("NetworkPolicy", "default"))) == 0
	count(fields(obj("ResourceQuota", "default"))) == 0
	count(fields(obj("LimitRange", "default"))) == 0
	count(fields(obj("ClusterRole", "default"))) == 0
	count(fields(obj("Namespace", "default"))) == 0
}
