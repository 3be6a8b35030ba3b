package rampart.kubernetes.no_readiness_probe_test

import data.rampart.kubernetes.no_readiness_probe as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

controller(kind, spec) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": spec}},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "shop"},
	"spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

test_missing if {
	spec := {"containers": [{"name": "app"}]}
	fields(controller("Deployment", spec)) == {"spec.template.spec.containers[0]"}
	messages(controller("Deployment", spec)) == {`Deployment "web": container "app" has no readinessProbe`}
}

test_each_container if {
	spec := {"containers": [{"name": "a"}, {"name": "b", "readinessProbe": probe}, {"name": "c", "readinessProbe": null}]}
	fields(pod(spec)) == {"spec.containers[0]", "spec.containers[2]"}
}

test_other_controllers if {
	spec := {"containers": [{"name": "app"}]}
	fields(controller("StatefulSet", spec)) == {"spec.template.spec.containers[0]"}
	fields(controller("DaemonSet", spec)) == {"spec.template.spec.containers[0]"}
}

test_present_passes if {
	spec := {"containers": [{"name": "app", "readinessProbe": probe}]}
	count(fields(controller("Deployment", spec))) == 0
}

test_other_probe_does_not_count if {
	spec := {"containers": [{"name": "app", "startupProbe": probe}]}
	count(fields(pod(spec))) == 1
}

test_init_and_ephemeral_skipped if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app", "readinessProbe": probe}],
		"ephemeralContainers": [{"name": "debug"}],
	}
	count(fields(pod(spec))) == 0
}

test_batch_skipped if {
	spec := {"restartPolicy": "Never", "containers": [{"name": "app"}]}
	count(fields(controller("Job", spec))) == 0
	count(fields(cronjob(spec))) == 0
}
