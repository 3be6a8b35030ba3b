package rampart.kubernetes.pss_selinux_test

import data.rampart.kubernetes.pss_selinux as policy

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

test_custom_type_user_role if {
	spec := {
		"securityContext": {"seLinuxOptions": {"type": "spc_t"}},
		"initContainers": [{"name": "init", "securityContext": {"seLinuxOptions": {"user": "system_u"}}}],
		"containers": [
			{"name": "ok", "securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c123,c456"}}},
			{"name": "bad", "securityContext": {"seLinuxOptions": {"role": "system_r", "type": "unconfined_t"}}},
		],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"seLinuxOptions": {"user": "u", "role": "r"}}}],
	}
	fields(pod(spec)) == {
		"spec.securityContext.seLinuxOptions.type",
		"spec.initContainers[0].securityContext.seLinuxOptions.user",
		"spec.containers[1].securityContext.seLinuxOptions.role",
		"spec.containers[1].securityContext.seLinuxOptions.type",
		"spec.ephemeralContainers[0].securityContext.seLinuxOptions.user",
		"spec.ephemeralContainers[0].securityContext.seLinuxOptions.role",
	}
	messages(pod(spec))["Pod \"web\" sets SELinux type \"spc_t\"; only container_t, container_init_t, container_kvm_t or container_engine_t are allowed"]
	messages(pod(spec))["container \"bad\" sets SELinux role \"system_r\"; custom SELinux users and roles are forbidden"]
}

test_allowed_types_pass if {
	count(fields(deployment({
		"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2"}},
		"containers": [
			{"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_t"}}},
			{"name": "b", "securityContext": {"seLinuxOptions": {"type": "container_init_t"}}},
			{"name": "c", "securityContext": {"seLinuxOptions": {"type": "container_kvm_t"}}},
			{"name": "d", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}},
			{"name": "e", "securityContext": {"seLinuxOptions": {"type": "", "user": "", "role": ""}}},
			{"name": "f", "securityContext": {"seLinuxOptions": {"type": null, "user": null}}},
			{"name": "g", "securityContext": {"seLinuxOptions": null}},
		],
	}))) == 0
}

test_cronjob if {
	fields(cronjob({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "spc_t"}}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.seLinuxOptions.type"}
}
