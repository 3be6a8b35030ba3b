package rampart.kubernetes.pss_restricted_seccomp_test

import data.rampart.kubernetes.pss_restricted_seccomp as policy

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

test_missing_everywhere if {
	spec := {"initContainers": [{"name": "init"}], "containers": [{"name": "a"}], "ephemeralContainers": [{"name": "debug"}]}
	fields(pod(spec)) == {"spec.initContainers[0]", "spec.containers[0]", "spec.ephemeralContainers[0]"}
	messages(pod(spec))["container \"a\" has no seccomp profile and the pod sets no RuntimeDefault or Localhost profile"]
}

test_pod_level_covers_containers if {
	count(fields(deployment({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"seccompProfile": null}}]}))) == 0
}

test_container_override_bad if {
	fields(deployment({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]})) == {"spec.template.spec.containers[0].securityContext.seccompProfile.type"}
}

test_bad_pod_profile_makes_unset_containers_fail if {
	fields(pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}}]})) == {"spec.securityContext.seccompProfile.type", "spec.containers[0]"}
}

test_empty_profile_is_invalid if {
	obj := cronjob({"securityContext": {"seccompProfile": {}}, "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}]})
	fields(obj) == {"spec.jobTemplate.spec.template.spec.securityContext.seccompProfile"}
	messages(obj) == {`CronJob "nightly" sets a pod seccomp profile with no type; it must be RuntimeDefault or Localhost`}
}

test_every_container_set_passes if {
	count(fields(pod({
		"initContainers": [{"name": "i", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
		"containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}}],
	}))) == 0
}

test_windows_exempt if {
	count(fields(pod({"os": {"name": "windows"}, "securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "a"}]}))) == 0
}
