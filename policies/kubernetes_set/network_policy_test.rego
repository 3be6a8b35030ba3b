package rampart.kubernetes_set.network_policy_test

import data.rampart.kubernetes_set.network_policy as policy

doc(i, kind, name, namespace) := {
	"index": i,
	"kind": kind,
	"api_version": "v1",
	"name": name,
	"namespace": namespace,
	"workload": kind in {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"},
}

results(docs) := r if {
	r := policy.deny with input as {"documents": docs}
}

test_uncovered_namespace if {
	docs := [
		doc(0, "Service", "web", "shop"),
		doc(1, "Deployment", "web", "shop"),
		doc(2, "CronJob", "report", "shop"),
		doc(3, "Deployment", "api", "billing"),
		doc(4, "NetworkPolicy", "default-deny", "billing"),
	]
	results(docs) == {{
		"msg": `namespace "shop" runs 2 workloads (Deployment "web", ...) but has no NetworkPolicy, so its pods accept traffic from any pod in the cluster`,
		"document": 1,
		"field": "metadata.namespace",
	}}
}

test_single_workload_message if {
	results([doc(0, "StatefulSet", "db", "data")]) == {{
		"msg": `namespace "data" runs StatefulSet "db" but has no NetworkPolicy, so its pods accept traffic from any pod in the cluster`,
		"document": 0,
		"field": "metadata.namespace",
	}}
}

test_several_uncovered_namespaces if {
	docs := [
		doc(0, "Deployment", "a", "one"),
		doc(1, "Deployment", "b", "two"),
		doc(2, "Pod", "c", "one"),
	]
	{r.document | some r in results(docs)} == {0, 1}
}

test_unset_namespace_is_default if {
	docs := [doc(0, "ConfigMap", "cfg", ""), doc(1, "Deployment", "web", "")]
	results(docs) == {{
		"msg": `namespace "default" runs Deployment "web" but has no NetworkPolicy, so its pods accept traffic from any pod in the cluster`,
		"document": 1,
		"field": "metadata",
	}}
}

test_explicit_default_and_unset_share_namespace if {
	docs := [doc(0, "Deployment", "web", ""), doc(1, "Deployment", "api", "default")]
	{[r.document, r.field] | some r in results(docs)} == {[0, "metadata"]}
}

test_unset_namespace_covered_by_unset_policy if {
	docs := [doc(0, "Deployment", "web", ""), doc(1, "NetworkPolicy", "deny", "")]
	count(results(docs)) == 0
}

test_all_covered if {
	docs := [
		doc(0, "Deployment", "web", "shop"),
		doc(1, "NetworkPolicy", "deny", "shop"),
		doc(2, "DaemonSet", "agent", "ops"),
		doc(3, "NetworkPolicy", "deny", "ops"),
	]
	count(results(docs)) == 0
}

test_no_workloads if {
	docs := [doc(0, "Service", "web", "shop"), doc(1, "ConfigMap", "cfg", "shop"), doc(2, "Namespace", "shop", "")]
	count(results(docs)) == 0
}

test_policy_elsewhere_does_not_cover if {
	docs := [doc(0, "NetworkPolicy", "deny", "other"), doc(1, "Job", "once", "shop")]
	{r.document | some r in results(docs)} == {1}
}

test_workload_flag_wins if {
	docs := [{"index": 0, "kind": "Rollout", "name": "web", "namespace": "shop", "workload": true}]
	count(results(docs)) == 1
}

test_workload_from_kind_when_flag_absent if {
	docs := [{"index": 0, "kind": "Deployment", "apiVersion": "apps/v1", "name": "web", "namespace": "shop"}]
	count(results(docs)) == 1
}

test_empty_set if {
	count(results([])) == 0
}

test_unset_namespace_does_not_hide_others if {
	docs := [
		{"index": 0, "kind": "NetworkPolicy", "name": "deny", "namespace": "storefront", "workload": false},
		{"index": 1, "kind": "Deployment", "name": "web", "namespace": "storefront", "workload": true},
		{"index": 2, "kind": "Deployment", "name": "api", "namespace": "", "workload": true},
	]
	results := policy.deny with input as {"documents": docs}
	count(results) == 1
	some r in results
	r.document == 2
	contains(r.msg, `"default"`)
}
