# METADATA
# title: Container without CPU or memory requests
# description: Without resource requests the scheduler places the pod as if it needed nothing, so nodes get overcommitted and the pod is among the first evicted under pressure (BestEffort or Burstable QoS). A limit without a request is fine, Kubernetes copies the limit into the request. Init and regular containers are checked.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/
# custom:
#   id: k8s-no-resource-requests
#   severity: low
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - nsa-k8s:resource-policies
#   remediation: Set resources.requests.cpu and resources.requests.memory on every container to its typical usage (or set limits, which become the requests), or enforce defaults with a LimitRange in the namespace.
package rampart.kubernetes.no_resource_requests

import data.lib.kubernetes as k8s

kinds := ["cpu", "memory"]

deny contains res if {
	some c in k8s.app_containers
	requests := object_at(c.container, ["resources", "requests"])
	limits := object_at(c.container, ["resources", "limits"])
	missing := [r | some r in kinds; not has_quantity(requests, r); not has_quantity(limits, r)]
	count(missing) > 0
	res := k8s.result(
		sprintf("%s %q: %s %q has no %s request (resources.requests)", [input.kind, k8s.name, label(c), object.get(c.container, "name", ""), concat(" or ", missing)]),
		anchor(c),
	)
}

has_quantity(obj, key) if {
	v := object.get(obj, key, null)
	v != null
	v != ""
}

object_at(x, path) := v if {
	v := object.get(x, path, null)
	is_object(v)
} else := {}

# The most specific field that exists: resources.requests, resources or the container.
anchor(c) := k8s.field(c.path, "resources.requests") if {
	"requests" in object.keys(object_at(c.container, ["resources"]))
} else := k8s.field(c.path, "resources") if {
	"resources" in object.keys(c.container)
} else := c.path

label(c) := "init container" if c.type == "initContainers"

label(c) := "container" if c.type == "containers"
