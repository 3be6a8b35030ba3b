package rampart.kubernetes.pss_host_ports_test

import data.rampart.kubernetes.pss_host_ports as policy

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

test_host_port if {
	spec := {"containers": [{"name": "app", "ports": [{"containerPort": 8080}, {"containerPort": 9090, "hostPort": 9090}]}]}
	fields(pod(spec)) == {"spec.containers[0].ports[1].hostPort"}
	messages(pod(spec)) == {`container "app" binds host port 9090`}
}

test_init_and_ephemeral if {
	spec := {
		"initContainers": [{"name": "init", "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]}],
		"containers": [{"name": "app"}],
		"ephemeralContainers": [{"name": "debug", "ports": [{"containerPort": 2345, "hostPort": 2345}]}],
	}
	fields(deployment(spec)) == {
		"spec.template.spec.initContainers[0].ports[0].hostPort",
		"spec.template.spec.ephemeralContainers[0].ports[0].hostPort",
	}
}

test_zero_and_null_pass if {
	count(fields(cronjob({"containers": [{"name": "app", "ports": [
		{"containerPort": 80, "hostPort": 0},
		{"containerPort": 81, "hostPort": null},
		{"containerPort": 82},
	]}]}))) == 0
}
