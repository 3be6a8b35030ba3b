package rampart.kubernetes.acme_required_labels_test

import data.rampart.kubernetes.acme_required_labels as policy

deployment(labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "labels": labels},
	"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
}

test_missing_labels if {
	some res in policy.deny with input as deployment({"team": "payments"})
	res.field == "metadata"
	contains(res.msg, "app.kubernetes.io/name")
}

test_all_labels if {
	count(policy.deny) == 0 with input as deployment({"team": "payments", "app.kubernetes.io/name": "web"})
}

test_not_a_workload if {
	count(policy.deny) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
}
