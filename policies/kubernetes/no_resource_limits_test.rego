package rampart.kubernetes.no_resource_limits_test

import data.rampart.kubernetes.no_resource_limits as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
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

full := {"limits": {"cpu": "500m", "memory": "256Mi"}}

test_no_resources_points_at_container if {
	spec := {"containers": [{"name": "app", "image": "app:1"}]}
	fields(deployment(spec)) == {"spec.template.spec.containers[0]"}
	messages(deployment(spec)) == {`Deployment "web": container "app" has no cpu or memory limit (resources.limits)`}
}

test_only_requests_points_at_resources if {
	spec := {"containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}
	fields(pod(spec)) == {"spec.containers[0].resources"}
}

test_missing_memory_limit if {
	spec := {"containers": [{"name": "app", "resources": {"limits": {"cpu": "1"}}}]}
	fields(pod(spec)) == {"spec.containers[0].resources.limits"}
	messages(pod(spec)) == {`Pod "web": container "app" has no memory limit (resources.limits)`}
}

test_missing_cpu_limit if {
	spec := {"containers": [{"name": "app", "resources": {"limits": {"memory": "1Gi", "cpu": ""}}}]}
	messages(pod(spec)) == {`Pod "web": container "app" has no cpu limit (resources.limits)`}
}

test_null_resources if {
	spec := {"containers": [{"name": "app", "resources": null}]}
	fields(pod(spec)) == {"spec.containers[0].resources"}
}

test_numeric_quantities_pass if {
	spec := {"containers": [{"name": "app", "resources": {"limits": {"cpu": 1, "memory": 1073741824}}}]}
	count(fields(pod(spec))) == 0
}

test_full_limits_pass if {
	spec := {"containers": [{"name": "app", "resources": full}], "initContainers": [{"name": "init", "resources": full}]}
	count(fields(deployment(spec))) == 0
}

test_init_container_checked if {
	spec := {"containers": [{"name": "app", "resources": full}], "initContainers": [{"name": "migrate"}]}
	messages(cronjob(spec)) == {`CronJob "nightly": init container "migrate" has no cpu or memory limit (resources.limits)`}
	fields(cronjob(spec)) == {"spec.jobTemplate.spec.template.spec.initContainers[0]"}
}

test_ephemeral_ignored if {
	spec := {"containers": [{"name": "app", "resources": full}], "ephemeralContainers": [{"name": "debug"}]}
	count(fields(pod(spec))) == 0
}

test_one_finding_per_container if {
	spec := {"containers": [{"name": "a"}, {"name": "b", "resources": full}, {"name": "c", "resources": {"limits": {}}}]}
	fields(pod(spec)) == {"spec.containers[0]", "spec.containers[2].resources.limits"}
}

test_not_a_workload if {
	count(fields({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}})) == 0
}
