# METADATA
# title: Kubernetes helpers
# description: |
#   Normalises every workload kind to its pod spec so that one rule covers
#   Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
#   Job and CronJob. Field paths are dotted with [i] indexes and are turned into
#   line numbers by the scanner.
package lib.kubernetes

# Workload kinds whose pod template lives at spec.template.spec.
template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Written out rather than as template_kinds | {...}: a literal set costs nothing per evaluation.
workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "Pod", "CronJob"}

is_workload if workload_kinds[input.kind]

name := object.get(input, ["metadata", "name"], "")

# Namespace as written; "" when the manifest does not say (kubectl would use the
# current context's namespace, usually "default").
namespace := object.get(input, ["metadata", "namespace"], "")

pod_spec_path := "spec" if input.kind == "Pod"

pod_spec_path := "spec.template.spec" if template_kinds[input.kind]

pod_spec_path := "spec.jobTemplate.spec.template.spec" if input.kind == "CronJob"

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if template_kinds[input.kind]

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

# Pod-level metadata (annotations such as the AppArmor ones live here).
pod_metadata_path := "metadata" if input.kind == "Pod"

pod_metadata_path := "spec.template.metadata" if template_kinds[input.kind]

pod_metadata_path := "spec.jobTemplate.spec.template.metadata" if input.kind == "CronJob"

pod_metadata := object.get(input, split(pod_metadata_path, "."), {})

pod_annotations := object.get(pod_metadata, "annotations", {})

container_types := ["initContainers", "containers", "ephemeralContainers"]

# Every container of the pod spec, regular, init and ephemeral, with what
# messages say about it, computed once per evaluation for all the rules:
#   {"container": <object>, "path": "spec.template.spec.containers[0]", "type": "containers",
#    "label": "container", "name": "app", "owner": "container \"app\""}
# Entries that are not objects are left out: no rule can name them in a message.
containers contains c if {
	some type in container_types
	some i, ctr in pod_spec[type] # nothing to iterate when absent
	name := object.get(ctr, "name", "")
	label := container_labels[type]
	c := {
		"container": ctr,
		"path": sprintf("%s.%s[%d]", [pod_spec_path, type, i]),
		"type": type,
		"label": label,
		"name": name,
		"owner": sprintf("%s %q", [label, name]),
	}
}

# Regular and init containers only (ephemeral containers take no resources or probes).
app_containers contains c if {
	some c in containers
	c.type != "ephemeralContainers"
}

# field joins a base path and a relative field: field("spec", "hostPID") = "spec.hostPID".
field(base, rel) := concat(".", [base, rel])

# result builds what a deny/warn rule returns.
result(msg, path) := {"msg": msg, "field": path}

# --- helpers shared by several policies --------------------------------------

# The manifest's own annotations ({} when none), which change how Services and Ingresses behave.
annotations := object.get(input, ["metadata", "annotations"], {})

# ` in namespace "x"` for messages, or "" when the manifest names no namespace.
in_namespace := sprintf(" in namespace %q", [namespace]) if namespace != ""

else := ""

# How messages name a container of each type, so that every policy words it the same way.
container_labels := {
	"initContainers": "init container",
	"containers": "container",
	"ephemeralContainers": "ephemeral container",
}

container_label(c) := container_labels[c.type]

# obj[key], or fallback when the key is absent or null: the API server treats an explicit null as unset.
value_or(obj, key, fallback) := obj[key] if obj[key] != null

else := fallback

# Windows pods (spec.os.name windows), which Linux-only checks such as the restricted profile's skip.
is_windows_pod if pod_spec.os.name == "windows"

# hostUsers: false runs the pod in its own user namespace, where Pod Security relaxes procMount and run-as-root checks.
user_namespace_pod if pod_spec.hostUsers == false

# not is_windows_pod and not user_namespace_pod as rules: OPA caches them, so the negation is evaluated once
# per evaluation instead of in every rule body that skips such pods (a negation costs a nested evaluation).
not_windows_pod if not is_windows_pod

not_user_namespace_pod if not user_namespace_pod

# Run-to-completion workload kinds, which have no use for liveness or readiness probes.
batch_kinds := {"Job", "CronJob"}

# Regular containers of workloads that run until stopped (not Job or CronJob): the ones that need probes.
long_running_containers contains c if {
	is_workload
	not batch_kinds[input.kind]
	some c in containers
	c.type == "containers"
}

# --- securityContext ---------------------------------------------------------

# The container writes securityContext.<key> (not absent or null), for checks whose unset default is unsafe.
sets_security_context(container, key) if container.securityContext[key] != null

# Every non-null securityContext.<key> of the pod and its containers as {owner, pod, path, value}, for checks that apply at both levels.
security_context_settings(key) := {s | some s in settings[key]}

# settings[key] is security_context_settings(key) as a rule, so that it is computed once per evaluation
# however many policies ask for the same key (it is undefined for keys nobody sets).
settings[key] contains s if {
	some key, value in pod_spec.securityContext
	value != null
	s := {
		"owner": sprintf("%s %q", [input.kind, name]),
		"pod": true,
		"path": sprintf("%s.securityContext.%s", [pod_spec_path, key]),
		"value": value,
	}
}

settings[key] contains s if {
	some c in containers
	some key, value in c.container.securityContext
	value != null
	s := {
		"owner": c.owner,
		"pod": false,
		"path": sprintf("%s.securityContext.%s", [c.path, key]),
		"value": value,
	}
}

# Every entry of a container's securityContext.capabilities.add, as {"container": <containers entry>,
# "index": i, "capability": <value>}: computed once per evaluation, so that the baseline and restricted
# capability rules walk the few added capabilities rather than every container.
added_capabilities contains {"container": c, "index": i, "capability": capability} if {
	some c in containers
	some i, capability in c.container.securityContext.capabilities.add
}

# --- seccomp and AppArmor profiles -------------------------------------------

# The seccomp and AppArmor profile types that Pod Security accepts (it rejects Unconfined and anything else).
allowed_profile_types := {"RuntimeDefault", "Localhost"}

# How messages name a pod- or container-level (true/false) seccomp or AppArmor profile, so the profile rules word it alike.
profile_phrases := {
	"seccompProfile": {true: "a pod seccomp profile", false: "a seccomp profile"},
	"appArmorProfile": {true: "a pod AppArmor profile", false: "an AppArmor profile"},
}

# The seccompProfile or appArmorProfile settings whose type Pod Security rejects, with type, phrase and the field to report.
disallowed_profiles(key) := {p | some p in disallowed[key]}

# disallowed[key] is disallowed_profiles(key) as a rule, computed once per evaluation.
disallowed[key] contains object.union(s, {"type": type, "phrase": phrases[s.pod], "field": profile_type_field(s.path, s.value)}) if {
	some key, phrases in profile_phrases
	some s in settings[key]
	type := value_or(s.value, "type", "")
	not allowed_profile_types[type]
}

# Points at profile.type when written, else at the profile itself, so findings land on the line to fix.
profile_type_field(base, profile) := field(base, "type") if profile.type != null

else := base

# Names a profile type in messages ("no type" when unset), so the profile rules word it alike.
describe_profile_type(type) := sprintf("type %q", [type]) if type != ""

else := "no type"

# --- resources ---------------------------------------------------------------

# The object at path in x, or {} when absent or not an object, so resource rules can look inside it safely.
object_at(x, path) := v if {
	v := object.get(x, path, null)
	is_object(v)
} else := {}

# obj sets key to something other than null or "": how the resource rules decide a request or limit is present.
has_quantity(obj, key) if {
	v := object.get(obj, key, null)
	v != null
	v != ""
}

# The most specific of resources.<section>, resources or the container that the manifest writes, for the finding's line.
resources_field(c, section) := sprintf("%s.resources.%s", [c.path, section]) if {
	_ = c.container.resources[section] # written, whatever the value
} else := sprintf("%s.resources", [c.path]) if {
	_ = c.container.resources
} else := c.path

# Quantity values that count as not set (see has_quantity); absent ones read as null.
unset_quantities := {null, ""}

# The resource kinds named in messages, in message order, by whether [cpu, memory] is missing.
missing_kinds := {
	[false, false]: [],
	[true, false]: ["cpu"],
	[false, true]: ["memory"],
	[true, true]: ["cpu", "memory"],
}

# Per regular and init container that misses a limit, the resource kinds it has no limit for and those
# it has no request for either (a limit counts as a request, Kubernetes copies it):
#   {"container": <containers entry>, "limits": ["cpu"], "requests": []}
# Shared so that both resource rules look at each container once; a container with both limits has
# every request too and is left out after two lookups.
resource_gaps contains {"container": c, "limits": limits, "requests": requests} if {
	some c in app_containers
	no_cpu_limit := object.get(c.container, ["resources", "limits", "cpu"], null) in unset_quantities
	no_memory_limit := object.get(c.container, ["resources", "limits", "memory"], null) in unset_quantities
	limits := missing_kinds[[no_cpu_limit, no_memory_limit]]
	limits != []
	requests := [r | some r in limits; object.get(c.container, ["resources", "requests", r], null) in unset_quantities]
}
