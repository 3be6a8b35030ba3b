package rampart.kubernetes.pss_privileged_test

import data.rampart.kubernetes.pss_privileged as policy

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

test_privileged_in_every_container_kind if {
	spec := {
		"initContainers": [{"name": "init", "securityContext": {"privileged": true}}],
		"containers": [{"name": "app"}, {"name": "sidecar", "securityContext": {"privileged": true}}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}],
	}
	fields(pod(spec)) == {
		"spec.initContainers[0].securityContext.privileged",
		"spec.containers[1].securityContext.privileged",
		"spec.ephemeralContainers[0].securityContext.privileged",
	}
	messages(pod(spec))["container \"sidecar\" sets securityContext.privileged=true"]
	messages(pod(spec))["ephemeral container \"debug\" sets securityContext.privileged=true"]
}

test_cronjob if {
	fields(cronjob({"containers": [{"name": "app", "securityContext": {"privileged": true}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"}
}

test_false_unset_null_pass if {
	count(fields(deployment({"containers": [
		{"name": "a", "securityContext": {"privileged": false}},
		{"name": "b", "securityContext": {"privileged": null}},
		{"name": "c", "securityContext": null},
		{"name": "d"},
	]}))) == 0
}
