package rampart.kubernetes.writable_root_fs_test

import data.rampart.kubernetes.writable_root_fs as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

daemonset(spec) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent", "namespace": "ops"},
	"spec": {"template": {"spec": spec}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

ro := {"readOnlyRootFilesystem": true}

test_no_security_context if {
	spec := {"containers": [{"name": "app"}]}
	fields(pod(spec)) == {"spec.containers[0]"}
	messages(pod(spec)) == {`Pod "web": container "app" does not set securityContext.readOnlyRootFilesystem to true`}
}

test_security_context_without_field if {
	spec := {"containers": [{"name": "app", "securityContext": {"runAsNonRoot": true}}]}
	fields(daemonset(spec)) == {"spec.template.spec.containers[0].securityContext"}
}

test_explicit_false if {
	spec := {"containers": [{"name": "app", "securityContext": {"readOnlyRootFilesystem": false}}]}
	fields(pod(spec)) == {"spec.containers[0].securityContext.readOnlyRootFilesystem"}
	messages(pod(spec)) == {`Pod "web": container "app" sets securityContext.readOnlyRootFilesystem to false`}
}

test_null_security_context if {
	spec := {"containers": [{"name": "app", "securityContext": null}]}
	fields(pod(spec)) == {"spec.containers[0].securityContext"}
}

test_read_only_passes if {
	spec := {"initContainers": [{"name": "init", "securityContext": ro}], "containers": [{"name": "app", "securityContext": ro}]}
	count(fields(daemonset(spec))) == 0
}

test_init_checked_ephemeral_ignored if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app", "securityContext": ro}],
		"ephemeralContainers": [{"name": "debug"}],
	}
	fields(pod(spec)) == {"spec.initContainers[0]"}
}

test_pod_level_context_does_not_count if {
	# readOnlyRootFilesystem exists only on the container security context.
	spec := {"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "app"}]}
	fields(pod(spec)) == {"spec.containers[0]"}
}

test_windows_skipped if {
	spec := {"os": {"name": "windows"}, "containers": [{"name": "app"}]}
	count(fields(pod(spec))) == 0
}
