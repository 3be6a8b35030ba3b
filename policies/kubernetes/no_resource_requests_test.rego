package rampart.kubernetes.no_resource_requests_test

import data.rampart.kubernetes.no_resource_requests as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

statefulset(spec) := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": {"name": "db", "namespace": "shop"},
	"spec": {"serviceName": "db", "template": {"spec": spec}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_no_resources if {
	spec := {"containers": [{"name": "db"}]}
	fields(statefulset(spec)) == {"spec.template.spec.containers[0]"}
	messages(statefulset(spec)) == {`StatefulSet "db": container "db" has no cpu or memory request (resources.requests)`}
}

test_missing_memory_request if {
	spec := {"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}}]}
	fields(pod(spec)) == {"spec.containers[0].resources.requests"}
	messages(pod(spec)) == {`Pod "web": container "app" has no memory request (resources.requests)`}
}

test_limits_count_as_requests if {
	spec := {"containers": [{"name": "app", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}
	count(fields(pod(spec))) == 0
}

test_mixed_request_and_limit if {
	spec := {"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}}}]}
	count(fields(pod(spec))) == 0
}

test_limits_only_cpu_points_at_resources if {
	spec := {"containers": [{"name": "app", "resources": {"limits": {"cpu": "1"}}}]}
	fields(pod(spec)) == {"spec.containers[0].resources"}
	messages(pod(spec)) == {`Pod "web": container "app" has no memory request (resources.requests)`}
}

test_requests_pass if {
	spec := {
		"initContainers": [{"name": "init", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
		"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
	}
	count(fields(pod(spec))) == 0
}

test_init_container_checked if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
	}
	messages(pod(spec)) == {`Pod "web": init container "init" has no cpu or memory request (resources.requests)`}
}

test_ephemeral_ignored if {
	spec := {
		"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
		"ephemeralContainers": [{"name": "debug"}],
	}
	count(fields(pod(spec))) == 0
}
