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

workload_kinds := template_kinds | {"Pod", "CronJob"}

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

# Every container of the pod spec, regular, init and ephemeral:
#   {"container": <object>, "path": "spec.template.spec.containers[0]", "type": "containers"}
containers contains c if {
	some type in container_types
	some i, ctr in object.get(pod_spec, type, [])
	c := {
		"container": ctr,
		"path": sprintf("%s.%s[%d]", [pod_spec_path, type, i]),
		"type": type,
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
