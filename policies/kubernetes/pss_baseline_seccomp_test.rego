package rampart.kubernetes.pss_baseline_seccomp_test

import data.rampart.kubernetes.pss_baseline_seccomp as policy

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

test_unconfined if {
	spec := {
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"initContainers": [{"name": "init", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
		"containers": [{"name": "ok", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}, {"name": "bad", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"seccompProfile": {}}}],
	}
	fields(pod(spec)) == {
		"spec.securityContext.seccompProfile.type",
		"spec.initContainers[0].securityContext.seccompProfile.type",
		"spec.containers[1].securityContext.seccompProfile.type",
		"spec.ephemeralContainers[0].securityContext.seccompProfile",
	}
	messages(pod(spec))["Pod \"web\" sets a pod seccomp profile with type \"Unconfined\"; only RuntimeDefault or Localhost are allowed"]
}

# The baseline does not require a profile, and the latest version ignores the old seccomp annotations.
test_unset_and_annotations_pass if {
	obj := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "web", "namespace": "shop", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}},
		"spec": {"containers": [{"name": "app"}, {"name": "b", "securityContext": {"seccompProfile": null}}]},
	}
	count(fields(obj)) == 0
}

test_windows_not_exempt_at_baseline if {
	fields(deployment({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]})) == {"spec.template.spec.containers[0].securityContext.seccompProfile.type"}
}

test_allowed_pass if {
	count(fields(cronjob({
		"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/audit.json"}},
		"containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
	}))) == 0
}
