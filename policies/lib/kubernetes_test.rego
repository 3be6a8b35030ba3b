package lib.kubernetes_test

import data.lib.kubernetes as k8s

# --- input builders ---------------------------------------------------------

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": spec}},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly"},
	"spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

# --- existing rules: workload normalisation -----------------------------------

test_pod_spec_and_paths_by_kind if {
	spec := {"containers": [{"name": "app"}]}
	k8s.pod_spec == spec with input as pod(spec)
	k8s.pod_spec_path == "spec" with input as pod(spec)
	k8s.pod_metadata_path == "metadata" with input as pod(spec)
	k8s.pod_spec == spec with input as deployment(spec)
	k8s.pod_spec_path == "spec.template.spec" with input as deployment(spec)
	k8s.pod_metadata == {"labels": {"app": "api"}} with input as deployment(spec)
	k8s.pod_spec_path == "spec.jobTemplate.spec.template.spec" with input as cronjob(spec)
	k8s.pod_metadata_path == "spec.jobTemplate.spec.template.metadata" with input as cronjob(spec)
	k8s.pod_metadata == {} with input as cronjob(spec)
}

test_is_workload if {
	k8s.is_workload with input as pod({})
	k8s.is_workload with input as cronjob({})
	not k8s.is_workload with input as {"kind": "Service"}
}

test_name_and_namespace_defaults if {
	k8s.name == "web" with input as pod({})
	k8s.namespace == "shop" with input as pod({})
	k8s.name == "" with input as {"kind": "Pod"}
	k8s.namespace == "" with input as deployment({})
}

test_containers_all_types_with_paths if {
	spec := {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "a"}, {"name": "b"}],
		"ephemeralContainers": [{"name": "debug"}],
	}
	got := {[c.type, c.path, c.container.name] | some c in k8s.containers} with input as deployment(spec)
	got == {
		["initContainers", "spec.template.spec.initContainers[0]", "init"],
		["containers", "spec.template.spec.containers[0]", "a"],
		["containers", "spec.template.spec.containers[1]", "b"],
		["ephemeralContainers", "spec.template.spec.ephemeralContainers[0]", "debug"],
	}
	app := {c.container.name | some c in k8s.app_containers} with input as deployment(spec)
	app == {"init", "a", "b"}
}

test_pod_annotations if {
	doc := {"kind": "Pod", "metadata": {"name": "p", "annotations": {"a": "1"}}, "spec": {}}
	k8s.pod_annotations == {"a": "1"} with input as doc
	k8s.pod_annotations == {} with input as deployment({})
}

test_field_and_result if {
	k8s.field("spec", "hostPID") == "spec.hostPID"
	k8s.result("m", "spec") == {"msg": "m", "field": "spec"}
}

# --- annotations, in_namespace ------------------------------------------------

test_annotations_are_the_objects_own if {
	doc := {"kind": "Service", "metadata": {"name": "s", "annotations": {"k": "v"}}}
	k8s.annotations == {"k": "v"} with input as doc
	k8s.annotations == {} with input as {"kind": "Service", "metadata": {"name": "s"}}

	# A workload's own annotations, not its pod template's.
	tmpl := {"kind": "Deployment", "metadata": {}, "spec": {"template": {"metadata": {"annotations": {"t": "1"}}, "spec": {}}}}
	k8s.annotations == {} with input as tmpl
}

test_in_namespace if {
	k8s.in_namespace == " in namespace \"shop\"" with input as pod({})
	k8s.in_namespace == "" with input as deployment({})
	k8s.in_namespace == "" with input as {"kind": "Pod", "metadata": {"namespace": ""}}
}

# --- container_label ----------------------------------------------------------

test_container_label if {
	k8s.container_label({"type": "initContainers"}) == "init container"
	k8s.container_label({"type": "containers"}) == "container"
	k8s.container_label({"type": "ephemeralContainers"}) == "ephemeral container"
	not k8s.container_label({"type": "sidecars"})
}

# --- value_or -----------------------------------------------------------------

test_value_or_treats_null_as_missing if {
	k8s.value_or({"type": "Localhost"}, "type", "") == "Localhost"
	k8s.value_or({"type": null}, "type", "") == ""
	k8s.value_or({}, "type", "none") == "none"
	k8s.value_or({"type": false}, "type", true) == false
	k8s.value_or({"type": ""}, "type", "x") == ""
	k8s.value_or("Unconfined", "type", "") == ""
}

# --- is_windows_pod, user_namespace_pod ---------------------------------------

test_is_windows_pod if {
	k8s.is_windows_pod with input as pod({"os": {"name": "windows"}})
	k8s.is_windows_pod with input as cronjob({"os": {"name": "windows"}})
	not k8s.is_windows_pod with input as pod({"os": {"name": "linux"}})
	not k8s.is_windows_pod with input as pod({"os": {"name": "Windows"}})
	not k8s.is_windows_pod with input as pod({})
	not k8s.is_windows_pod with input as {"kind": "Service", "spec": {"os": {"name": "windows"}}}
}

test_user_namespace_pod if {
	k8s.user_namespace_pod with input as deployment({"hostUsers": false})
	not k8s.user_namespace_pod with input as pod({"hostUsers": true})
	not k8s.user_namespace_pod with input as pod({"hostUsers": "false"})
	not k8s.user_namespace_pod with input as pod({"hostUsers": null})
	not k8s.user_namespace_pod with input as pod({})
}

# --- batch_kinds, long_running_containers -------------------------------------

test_long_running_containers if {
	spec := {"initContainers": [{"name": "init"}], "containers": [{"name": "app"}], "ephemeralContainers": [{"name": "dbg"}]}
	names := {c.container.name | some c in k8s.long_running_containers} with input as deployment(spec)
	names == {"app"}
	count(k8s.long_running_containers) == 0 with input as cronjob(spec)
	job := {"kind": "Job", "metadata": {}, "spec": {"template": {"spec": spec}}}
	count(k8s.long_running_containers) == 0 with input as job
	k8s.batch_kinds == {"Job", "CronJob"}
}

# --- sets_security_context, security_context_settings -------------------------

test_sets_security_context if {
	k8s.sets_security_context({"securityContext": {"runAsNonRoot": false}}, "runAsNonRoot")
	not k8s.sets_security_context({"securityContext": {"runAsNonRoot": null}}, "runAsNonRoot")
	not k8s.sets_security_context({"securityContext": {}}, "runAsNonRoot")
	not k8s.sets_security_context({"securityContext": null}, "runAsNonRoot")
	not k8s.sets_security_context({}, "runAsNonRoot")
}

test_security_context_settings_pod_and_containers if {
	spec := {
		"securityContext": {"seLinuxOptions": {"type": "spc_t"}},
		"initContainers": [{"name": "init", "securityContext": {"seLinuxOptions": {"user": "u"}}}],
		"containers": [
			{"name": "unset"},
			{"name": "null", "securityContext": {"seLinuxOptions": null}},
			{"name": "set", "securityContext": {"seLinuxOptions": {}}},
		],
	}
	got := k8s.security_context_settings("seLinuxOptions") with input as deployment(spec)
	got == {
		{"owner": "Deployment \"api\"", "pod": true, "path": "spec.template.spec.securityContext.seLinuxOptions", "value": {"type": "spc_t"}},
		{"owner": "init container \"init\"", "pod": false, "path": "spec.template.spec.initContainers[0].securityContext.seLinuxOptions", "value": {"user": "u"}},
		{"owner": "container \"set\"", "pod": false, "path": "spec.template.spec.containers[2].securityContext.seLinuxOptions", "value": {}},
	}
}

test_security_context_settings_empty if {
	k8s.security_context_settings("seccompProfile") == set() with input as pod({"containers": [{"name": "a"}]})
	k8s.security_context_settings("seccompProfile") == set() with input as {"kind": "Service"}
}

# --- seccomp and AppArmor profiles --------------------------------------------

test_disallowed_profiles if {
	spec := {
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"containers": [
			{"name": "ok", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
			{"name": "local", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p"}}},
			{"name": "notype", "securityContext": {"seccompProfile": {}}},
		],
		"ephemeralContainers": [{"name": "dbg", "securityContext": {"seccompProfile": {"type": null}}}],
	}
	got := {[p.owner, p.phrase, p.type, p.field] | some p in k8s.disallowed_profiles("seccompProfile")} with input as pod(spec)
	got == {
		["Pod \"web\"", "a pod seccomp profile", "Unconfined", "spec.securityContext.seccompProfile.type"],
		["container \"notype\"", "a seccomp profile", "", "spec.containers[2].securityContext.seccompProfile"],
		["ephemeral container \"dbg\"", "a seccomp profile", "", "spec.ephemeralContainers[0].securityContext.seccompProfile"],
	}
}

test_disallowed_profiles_apparmor_phrases if {
	spec := {
		"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
		"containers": [{"name": "c", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}],
	}
	phrases := {p.phrase | some p in k8s.disallowed_profiles("appArmorProfile")} with input as pod(spec)
	phrases == {"a pod AppArmor profile", "an AppArmor profile"}
}

test_profile_type_field if {
	k8s.profile_type_field("spec.securityContext.seccompProfile", {"type": "Unconfined"}) == "spec.securityContext.seccompProfile.type"
	k8s.profile_type_field("spec.securityContext.seccompProfile", {"type": null}) == "spec.securityContext.seccompProfile"
	k8s.profile_type_field("spec.securityContext.seccompProfile", {}) == "spec.securityContext.seccompProfile"
}

test_describe_profile_type if {
	k8s.describe_profile_type("Unconfined") == "type \"Unconfined\""
	k8s.describe_profile_type("") == "no type"
}

test_allowed_profile_types if {
	k8s.allowed_profile_types == {"RuntimeDefault", "Localhost"}
}

# --- resources ----------------------------------------------------------------

test_object_at if {
	k8s.object_at({"resources": {"limits": {"cpu": "1"}}}, ["resources", "limits"]) == {"cpu": "1"}
	k8s.object_at({"resources": {"limits": null}}, ["resources", "limits"]) == {}
	k8s.object_at({"resources": {"limits": "1"}}, ["resources", "limits"]) == {}
	k8s.object_at({}, ["resources", "limits"]) == {}
}

test_has_quantity if {
	k8s.has_quantity({"cpu": "100m"}, "cpu")
	k8s.has_quantity({"cpu": 0}, "cpu")
	not k8s.has_quantity({"cpu": ""}, "cpu")
	not k8s.has_quantity({"cpu": null}, "cpu")
	not k8s.has_quantity({}, "cpu")
}

test_resources_field if {
	base := "spec.containers[0]"
	k8s.resources_field({"path": base, "container": {"resources": {"limits": {}}}}, "limits") == "spec.containers[0].resources.limits"
	k8s.resources_field({"path": base, "container": {"resources": {"requests": {}}}}, "limits") == "spec.containers[0].resources"
	k8s.resources_field({"path": base, "container": {"resources": null}}, "limits") == "spec.containers[0].resources"
	k8s.resources_field({"path": base, "container": {"name": "a"}}, "requests") == "spec.containers[0]"
}

test_resource_gaps if {
	spec := {
		"initContainers": [{"name": "init", "resources": {"limits": {"cpu": "1", "memory": ""}, "requests": {"memory": "1Gi"}}}],
		"containers": [
			{"name": "full", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
			{"name": "none"},
			{"name": "req", "resources": {"requests": {"cpu": "1"}}},
		],
		"ephemeralContainers": [{"name": "dbg"}],
	}
	got := {[g.container.name, g.limits, g.requests] | some g in k8s.resource_gaps} with input as pod(spec)
	got == {
		["init", ["memory"], []],
		["none", ["cpu", "memory"], ["cpu", "memory"]],
		["req", ["cpu", "memory"], ["memory"]],
	}
}

test_added_capabilities if {
	spec := {"containers": [
		{"name": "a", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "CHOWN"]}}},
		{"name": "b", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
	]}
	got := {[c.container.name, c.index, c.capability] | some c in k8s.added_capabilities} with input as pod(spec)
	got == {["a", 0, "NET_ADMIN"], ["a", 1, "CHOWN"]}
}

test_not_windows_not_user_namespace if {
	k8s.not_windows_pod with input as pod({})
	not k8s.not_windows_pod with input as pod({"os": {"name": "windows"}})
	k8s.not_user_namespace_pod with input as pod({})
	not k8s.not_user_namespace_pod with input as pod({"hostUsers": false})
}
