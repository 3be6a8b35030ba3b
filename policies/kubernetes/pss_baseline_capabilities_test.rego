package rampart.kubernetes.pss_baseline_capabilities_test

import data.rampart.kubernetes.pss_baseline_capabilities as policy

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

test_non_default_capability if {
	spec := {"containers": [{"name": "app", "securityContext": {"capabilities": {"add": ["CHOWN", "NET_RAW", "SYS_ADMIN"]}}}]}
	fields(pod(spec)) == {
		"spec.containers[0].securityContext.capabilities.add[1]",
		"spec.containers[0].securityContext.capabilities.add[2]",
	}
	messages(pod(spec))["container \"app\" adds capability NET_RAW, which is not in the baseline's default set"]
}

test_every_default_capability_passes if {
	caps := [
		"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
		"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
	]
	count(fields(pod({"containers": [{"name": "app", "securityContext": {"capabilities": {"add": caps, "drop": ["ALL"]}}}]}))) == 0
}

test_init_and_ephemeral if {
	spec := {
		"initContainers": [{"name": "init", "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}],
		"containers": [{"name": "app"}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}],
	}
	fields(deployment(spec)) == {
		"spec.template.spec.initContainers[0].securityContext.capabilities.add[0]",
		"spec.template.spec.ephemeralContainers[0].securityContext.capabilities.add[0]",
	}
}

# Names are compared exactly, as the admission controller does: CAP_ prefixes and lower case are not the default set.
test_exact_names if {
	fields(pod({"containers": [{"name": "app", "securityContext": {"capabilities": {"add": ["CAP_CHOWN", "chown"]}}}]})) == {
		"spec.containers[0].securityContext.capabilities.add[0]",
		"spec.containers[0].securityContext.capabilities.add[1]",
	}
}

test_drop_only_and_null_pass if {
	count(fields(cronjob({"containers": [
		{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
		{"name": "b", "securityContext": {"capabilities": {"add": null}}},
		{"name": "c", "securityContext": {"capabilities": null}},
	]}))) == 0
}
