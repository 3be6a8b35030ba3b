package rampart.kubernetes.pss_privilege_escalation_test

import data.rampart.kubernetes.pss_privilege_escalation as policy

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

test_missing_and_true if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [
			{"name": "ok", "securityContext": {"allowPrivilegeEscalation": false}},
			{"name": "explicit", "securityContext": {"allowPrivilegeEscalation": true}},
			{"name": "nullctx", "securityContext": null},
			{"name": "nullfield", "securityContext": {"allowPrivilegeEscalation": null}},
		],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"runAsNonRoot": true}}],
	}
	fields(pod(spec)) == {
		"spec.initContainers[0]",
		"spec.containers[1].securityContext.allowPrivilegeEscalation",
		"spec.containers[2]",
		"spec.containers[3]",
		"spec.ephemeralContainers[0]",
	}
	messages(pod(spec))["container \"explicit\" sets securityContext.allowPrivilegeEscalation=true; it must be false"]
	messages(pod(spec))["init container \"init\" does not set securityContext.allowPrivilegeEscalation=false"]
}

test_windows_exempt if {
	count(fields(deployment({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": true}}, {"name": "b"}]}))) == 0
}

test_linux_os_not_exempt if {
	fields(deployment({"os": {"name": "linux"}, "containers": [{"name": "a"}]})) == {"spec.template.spec.containers[0]"}
}

test_cronjob if {
	fields(cronjob({"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": true}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"}
}

test_all_false_pass if {
	count(fields(pod({
		"initContainers": [{"name": "i", "securityContext": {"allowPrivilegeEscalation": false}}],
		"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false}}],
	}))) == 0
}
