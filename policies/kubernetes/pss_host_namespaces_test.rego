package rampart.kubernetes.pss_host_namespaces_test

import data.rampart.kubernetes.pss_host_namespaces as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "shop"},
	"spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

# fields is the set of field paths the policy reports for obj.
fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

# messages is the set of messages the policy reports for obj.
messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_each_namespace if {
	fields(pod({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [{"name": "app"}]})) == {"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"}
}

test_deployment_host_network if {
	fields(deployment({"hostNetwork": true, "containers": [{"name": "app"}]})) == {"spec.template.spec.hostNetwork"}
	messages(deployment({"hostNetwork": true, "containers": [{"name": "app"}]})) == {`Deployment "web" sets hostNetwork=true and shares the node's network namespace`}
}

test_cronjob_host_pid if {
	fields(cronjob({"hostPID": true, "containers": [{"name": "app"}]})) == {"spec.jobTemplate.spec.template.spec.hostPID"}
}

test_false_and_unset_pass if {
	count(fields(pod({"hostNetwork": false, "hostPID": false, "hostIPC": null, "containers": [{"name": "app"}]}))) == 0
	count(fields(pod({"containers": [{"name": "app"}]}))) == 0
}
