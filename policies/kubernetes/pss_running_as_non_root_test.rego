package rampart.kubernetes.pss_running_as_non_root_test

import data.rampart.kubernetes.pss_running_as_non_root as policy

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

test_missing_everywhere_one_finding_per_container if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsUser": 1000}}],
		"ephemeralContainers": [{"name": "debug"}],
	}
	fields(pod(spec)) == {"spec.initContainers[0]", "spec.containers[0]", "spec.containers[1]", "spec.ephemeralContainers[0]"}
	messages(pod(spec))["container \"a\" does not set securityContext.runAsNonRoot=true and the pod does not either"]
}

test_pod_level_true_covers_containers if {
	count(fields(deployment({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": null}}]}))) == 0
}

test_container_false_overrides_pod_true if {
	fields(deployment({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": false}}]})) == {"spec.template.spec.containers[1].securityContext.runAsNonRoot"}
}

test_pod_false_fails_even_when_containers_set_true if {
	fields(cronjob({"securityContext": {"runAsNonRoot": false}, "containers": [{"name": "a", "securityContext": {"runAsNonRoot": true}}]})) == {"spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot"}
}

test_pod_false_and_container_unset if {
	fields(pod({"securityContext": {"runAsNonRoot": false}, "containers": [{"name": "a"}]})) == {"spec.securityContext.runAsNonRoot", "spec.containers[0]"}
}

test_every_container_true_passes if {
	count(fields(pod({
		"initContainers": [{"name": "i", "securityContext": {"runAsNonRoot": true}}],
		"containers": [{"name": "a", "securityContext": {"runAsNonRoot": true}}],
	}))) == 0
}

test_user_namespace_relaxes if {
	count(fields(pod({"hostUsers": false, "securityContext": {"runAsNonRoot": false}, "containers": [{"name": "a"}]}))) == 0
}

test_windows_not_exempt if {
	fields(pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]})) == {"spec.containers[0]"}
}
