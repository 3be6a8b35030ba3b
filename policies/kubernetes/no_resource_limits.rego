# METADATA
# title: Container without CPU or memory limits
# description: A container without a memory limit can take all of the node's memory and get other pods evicted or OOM-killed; one without a CPU limit can starve its neighbours. Limits bound the damage of a runaway or compromised process (denial of service) and are what the NSA/CISA guide's resource policies ask for. Init and regular containers are checked; a LimitRange that injects defaults is not visible in a single manifest.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#   - ref: https://kubernetes.io/docs/concepts/policy/limit-range/
# custom:
#   id: k8s-no-resource-limits
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - nsa-k8s:resource-policies
#   remediation: Set resources.limits.memory and resources.limits.cpu on every container (for example memory "512Mi", cpu "500m"), sized from observed usage, or enforce defaults with a LimitRange in the namespace.
package rampart.kubernetes.no_resource_limits

import data.lib.kubernetes as k8s

# k8s.resource_gaps works out the missing kinds once for both resource rules.
deny contains res if {
	some gap in k8s.resource_gaps
	missing := gap.limits
	count(missing) > 0
	c := gap.container
	res := {
		"msg": sprintf("%s %q: %s %q has no %s limit (resources.limits)", [input.kind, k8s.name, c.label, c.name, concat(" or ", missing)]),
		"field": k8s.resources_field(c, "limits"),
	}
}
