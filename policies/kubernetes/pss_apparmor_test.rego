package rampart.kubernetes.pss_apparmor_test

import data.rampart.kubernetes.pss_apparmor as policy

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

test_unconfined_pod_and_containers if {
	spec := {
		"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
		"initContainers": [{"name": "init", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}],
		"containers": [
			{"name": "ok", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-app"}}},
			{"name": "bad", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
		],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"appArmorProfile": {}}}],
	}
	fields(pod(spec)) == {
		"spec.securityContext.appArmorProfile.type",
		"spec.initContainers[0].securityContext.appArmorProfile.type",
		"spec.containers[1].securityContext.appArmorProfile.type",
		"spec.ephemeralContainers[0].securityContext.appArmorProfile",
	}
	messages(pod(spec))["ephemeral container \"debug\" sets an AppArmor profile with no type; only RuntimeDefault or Localhost are allowed"]
	messages(pod(spec))["container \"bad\" sets an AppArmor profile with type \"Unconfined\"; only RuntimeDefault or Localhost are allowed"]
}

test_annotations if {
	obj := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": {
			"metadata": {"annotations": {
				"container.apparmor.security.beta.kubernetes.io/app": "unconfined",
				"container.apparmor.security.beta.kubernetes.io/sidecar": "runtime/default",
				"container.apparmor.security.beta.kubernetes.io/init": "localhost/k8s-init",
				"container.apparmor.security.beta.kubernetes.io/other": "",
				"example.com/unconfined": "unconfined",
			}},
			"spec": {"containers": [{"name": "app"}]},
		}},
	}
	fields(obj) == {`spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`}
}

test_pod_annotation_any_container_name if {
	obj := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "web", "namespace": "shop", "annotations": {"container.apparmor.security.beta.kubernetes.io/ghost": "docker-default"}},
		"spec": {"containers": [{"name": "app"}]},
	}
	fields(obj) == {`metadata.annotations["container.apparmor.security.beta.kubernetes.io/ghost"]`}
}

test_allowed_values_pass if {
	count(fields(cronjob({
		"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
		"containers": [
			{"name": "a", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}},
			{"name": "b", "securityContext": {"appArmorProfile": null}},
			{"name": "c"},
		],
	}))) == 0
}

test_cronjob_container if {
	fields(cronjob({"containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "runtimedefault"}}}]})) == {"spec.jobTemplate.spec.template.spec.containers[0].securityContext.appArmorProfile.type"}
}
