package rampart.kubernetes.pss_proc_mount_test

import data.rampart.kubernetes.pss_proc_mount as policy

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

test_unmasked if {
	spec := {
		"initContainers": [{"name": "init", "securityContext": {"procMount": "Unmasked"}}],
		"containers": [{"name": "ok", "securityContext": {"procMount": "Default"}}, {"name": "bad", "securityContext": {"procMount": "Unmasked"}}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"procMount": ""}}],
	}
	fields(pod(spec)) == {
		"spec.initContainers[0].securityContext.procMount",
		"spec.containers[1].securityContext.procMount",
		"spec.ephemeralContainers[0].securityContext.procMount",
	}
	messages(pod(spec))["container \"bad\" sets securityContext.procMount to \"Unmasked\" outside a user namespace"]
}

test_user_namespace_relaxes if {
	count(fields(deployment({"hostUsers": false, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]}))) == 0
}

test_host_users_true_does_not_relax if {
	fields(deployment({"hostUsers": true, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})) == {"spec.template.spec.containers[0].securityContext.procMount"}
	fields(cronjob({"hostUsers": null, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.procMount"}
}

test_default_unset_null_pass if {
	count(fields(pod({"containers": [
		{"name": "a", "securityContext": {"procMount": "Default"}},
		{"name": "b", "securityContext": {"procMount": null}},
		{"name": "c"},
	]}))) == 0
}
