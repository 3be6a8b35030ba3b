package rampart.kubernetes.pss_host_process_test

import data.rampart.kubernetes.pss_host_process as policy

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

test_pod_level_host_process if {
	fields(pod({
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"containers": [{"name": "app", "image": "app:1"}],
	})) == {"spec.securityContext.windowsOptions.hostProcess"}
}

test_every_container_kind if {
	spec := {
		"initContainers": [{"name": "init", "securityContext": {"windowsOptions": {"hostProcess": true}}}],
		"containers": [
			{"name": "ok", "securityContext": {"windowsOptions": {"hostProcess": false}}},
			{"name": "bad", "securityContext": {"windowsOptions": {"hostProcess": true}}},
		],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"windowsOptions": {"hostProcess": true}}}],
	}
	fields(deployment(spec)) == {
		"spec.template.spec.initContainers[0].securityContext.windowsOptions.hostProcess",
		"spec.template.spec.containers[1].securityContext.windowsOptions.hostProcess",
		"spec.template.spec.ephemeralContainers[0].securityContext.windowsOptions.hostProcess",
	}
	messages(deployment(spec))["init container \"init\" sets securityContext.windowsOptions.hostProcess=true"]
}

test_cronjob if {
	fields(cronjob({"containers": [{"name": "app", "securityContext": {"windowsOptions": {"hostProcess": true}}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.windowsOptions.hostProcess"}
}

test_false_unset_and_null_pass if {
	count(fields(pod({
		"securityContext": {"windowsOptions": {"hostProcess": false, "runAsUserName": "ContainerUser"}},
		"containers": [
			{"name": "a"},
			{"name": "b", "securityContext": null},
			{"name": "c", "securityContext": {"windowsOptions": null}},
			{"name": "d", "securityContext": {"windowsOptions": {"hostProcess": null}}},
		],
	}))) == 0
}

test_not_a_workload if {
	count(fields({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "spec": {"securityContext": {"windowsOptions": {"hostProcess": true}}}})) == 0
}
