package rampart.kubernetes.pss_restricted_capabilities_test

import data.rampart.kubernetes.pss_restricted_capabilities as policy

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

test_missing_drop_all if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [
			{"name": "ok", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
			{"name": "partial", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}},
			{"name": "empty", "securityContext": {"capabilities": {}}},
			{"name": "noctx", "securityContext": {"runAsNonRoot": true}},
		],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"capabilities": null}}],
	}
	fields(pod(spec)) == {
		"spec.initContainers[0]",
		"spec.containers[1].securityContext.capabilities.drop",
		"spec.containers[2]",
		"spec.containers[3]",
		"spec.ephemeralContainers[0]",
	}
	messages(pod(spec))["container \"partial\" does not drop ALL capabilities (securityContext.capabilities.drop lacks \"ALL\")"]
}

test_added_capabilities if {
	spec := {"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN", "NET_RAW"]}}}]}
	fields(deployment(spec)) == {
		"spec.template.spec.containers[0].securityContext.capabilities.add[1]",
		"spec.template.spec.containers[0].securityContext.capabilities.add[2]",
	}
	messages(deployment(spec))["container \"a\" adds capability CHOWN; the restricted profile allows adding only NET_BIND_SERVICE"]
}

test_lower_case_all_does_not_count if {
	fields(cronjob({"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["all"]}}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities.drop"}
}

test_drop_all_and_net_bind_service_pass if {
	count(fields(pod({
		"initContainers": [{"name": "i", "securityContext": {"capabilities": {"drop": ["ALL"]}}}],
		"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["NET_RAW", "ALL"], "add": ["NET_BIND_SERVICE"]}}}],
	}))) == 0
}

test_windows_exempt if {
	count(fields(pod({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}))) == 0
}
