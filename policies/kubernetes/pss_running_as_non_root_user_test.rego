package rampart.kubernetes.pss_running_as_non_root_user_test

import data.rampart.kubernetes.pss_running_as_non_root_user as policy

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

test_uid_zero if {
	spec := {
		"securityContext": {"runAsUser": 0},
		"initContainers": [{"name": "init", "securityContext": {"runAsUser": 0}}],
		"containers": [{"name": "a", "securityContext": {"runAsUser": 1000}}, {"name": "b", "securityContext": {"runAsUser": 0}}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"runAsUser": 0}}],
	}
	fields(pod(spec)) == {
		"spec.securityContext.runAsUser",
		"spec.initContainers[0].securityContext.runAsUser",
		"spec.containers[1].securityContext.runAsUser",
		"spec.ephemeralContainers[0].securityContext.runAsUser",
	}
	messages(pod(spec))["Pod \"web\" sets the pod's securityContext.runAsUser=0 (root)"]
}

# The pod-level UID 0 is reported even when every container overrides it, as the admission controller does.
test_pod_zero_with_container_override if {
	fields(deployment({"securityContext": {"runAsUser": 0}, "containers": [{"name": "a", "securityContext": {"runAsUser": 1000}}]})) == {"spec.template.spec.securityContext.runAsUser"}
}

test_unset_and_non_zero_pass if {
	count(fields(cronjob({"securityContext": {"runAsUser": 1000}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsUser": null}}]}))) == 0
}

test_user_namespace_relaxes if {
	count(fields(pod({"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [{"name": "a", "securityContext": {"runAsUser": 0}}]}))) == 0
}

test_cronjob if {
	fields(cronjob({"containers": [{"name": "a", "securityContext": {"runAsUser": 0}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser"}
}
