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

# k8s.resource_gaps works out the missing kinds once for both resource rules.
deny contains res if {
	some gap in k8s.resource_gaps
	missing := gap.requests
	count(missing) > 0
	c := gap.container
	res := {
		"msg": sprintf("%s %q: %s %q has no %s request (resources.requests)", [input.kind, k8s.name, c.label, c.name, concat(" or ", missing)]),
		"field": k8s.resources_field(c, "requests"),
	}
}
