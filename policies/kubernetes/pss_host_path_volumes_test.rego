package rampart.kubernetes.pss_host_path_volumes_test

import data.rampart.kubernetes.pss_host_path_volumes as policy

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

test_host_path_volume if {
	spec := {
		"containers": [{"name": "app"}],
		"volumes": [
			{"name": "cache", "emptyDir": {}},
			{"name": "docker", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}},
		],
	}
	fields(pod(spec)) == {"spec.volumes[1].hostPath"}
	messages(pod(spec)) == {`Pod "web" mounts hostPath volume "docker" (path /var/run/docker.sock)`}
}

test_deployment_and_cronjob if {
	spec := {"containers": [{"name": "app"}], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
	fields(deployment(spec)) == {"spec.template.spec.volumes[0].hostPath"}
	fields(cronjob(spec)) == {"spec.jobTemplate.spec.template.spec.volumes[0].hostPath"}
}

test_other_volumes_pass if {
	count(fields(pod({"containers": [{"name": "app"}], "volumes": [
		{"name": "a", "configMap": {"name": "cfg"}},
		{"name": "b", "hostPath": null},
		{"name": "c", "nfs": {"server": "nfs", "path": "/"}},
	]}))) == 0
}
