# METADATA
# title: Namespace without NetworkPolicy
# description: Pods accept traffic from, and send traffic to, any pod in the cluster until a NetworkPolicy selects them. A namespace that runs workloads but has no NetworkPolicy in the scanned manifests therefore allows lateral movement from any compromised pod anywhere in the cluster. The check works on the whole set of scanned documents, one finding per namespace at its first workload; a manifest without metadata.namespace is counted in the default namespace, and the policy must be enforced by a CNI plugin that supports NetworkPolicy.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/
#   - ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-and-all-egress-traffic
# custom:
#   id: k8s-namespace-no-network-policy
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.3.2
#     - nsa-k8s:network-separation
#   remediation: Add a default-deny NetworkPolicy to the namespace (podSelector {} with policyTypes Ingress and Egress) and NetworkPolicies that allow only the traffic each workload needs, including DNS egress.
package rampart.kubernetes_set.network_policy

import data.lib.kubernetes as k8s

# This rule sees every document of a scan, so it is written for one pass
# over input.documents with builtins only: user functions and multi-value
# partial objects cost tens of microseconds per document in OPA.

# The namespace a document lands in; "" (no metadata.namespace) is default.
namespace_of(doc) := object.get({"": "default"}, doc.namespace, doc.namespace)

covered contains namespace_of(doc) if {
	some doc in input.documents
	doc.kind == "NetworkPolicy"
}

# The scanner marks documents with a pod spec in doc.workload; other callers
# may leave it out, and then the kind decides.
# [namespace, position in input.documents] of every workload. The two
# helpers are inlined: a function call per document doubles the cost.
workload_positions := [[object.get({"": "default"}, doc.namespace, doc.namespace), i] |
	some i, doc in input.documents
	object.get(doc, "workload", doc.kind in k8s.workload_kinds) == true
]

# Written as `not ns in covered`: as `not covered[ns]` inside deny, OPA 1.22
# negated the lookup wrongly whenever a workload had no namespace
# (test_unset_namespace_does_not_hide_others).
uncovered contains ns if {
	some p in workload_positions
	ns := p[0]
	not ns in covered
}

deny contains res if {
	some ns in uncovered
	positions := [p[1] | some p in workload_positions; p[0] == ns]
	first := min(positions)
	doc := input.documents[first]
	res := {
		"msg": sprintf("namespace %q runs %s but has no NetworkPolicy, so its pods accept traffic from any pod in the cluster", [ns, describe(positions, first)]),
		"document": first,
		"field": field(doc),
	}
}

describe(positions, first) := sprintf("%s %q", [input.documents[first].kind, input.documents[first].name]) if {
	count(positions) == 1
} else := sprintf("%d workloads (%s %q, ...)", [count(positions), input.documents[first].kind, input.documents[first].name])

field(doc) := "metadata.namespace" if {
	is_string(doc.namespace)
	doc.namespace != ""
} else := "metadata"
