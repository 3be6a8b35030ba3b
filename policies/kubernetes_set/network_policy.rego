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

# "" (no metadata.namespace) is counted as default.
namespace_of(doc) := ns if {
	ns := doc.namespace
	is_string(ns)
	ns != ""
} else := "default"

workload(doc) if doc.workload == true

workload(doc) if {
	not "workload" in object.keys(doc)
	k8s.workload_kinds[doc.kind]
}

covered contains namespace_of(doc) if {
	some doc in input.documents
	doc.kind == "NetworkPolicy"
}

# Position in input.documents of every workload, by namespace.
workloads[ns] contains i if {
	some i, doc in input.documents
	workload(doc)
	ns := namespace_of(doc)
}

# Uncovered namespaces are computed on their own: written inline in deny as
# `some ns, positions in workloads; not covered[ns]`, OPA 1.22 negated the
# lookup wrongly whenever a workload had no namespace (see the Rego test
# test_unset_namespace_does_not_hide_others).
uncovered contains ns if {
	some ns in object.keys(workloads)
	not ns in covered
}

deny contains res if {
	some ns in uncovered
	positions := workloads[ns]
	first := min(positions)
	doc := input.documents[first]
	res := {
		"msg": sprintf("namespace %q runs %s but has no NetworkPolicy, so its pods accept traffic from any pod in the cluster", [ns, describe(positions)]),
		"document": first,
		"field": field(doc),
	}
}

describe(positions) := sprintf("%s %q", [input.documents[i].kind, input.documents[i].name]) if {
	count(positions) == 1
	some i in positions
} else := sprintf("%d workloads (%s %q, ...)", [count(positions), input.documents[first].kind, input.documents[first].name]) if {
	first := min(positions)
}

field(doc) := "metadata.namespace" if {
	is_string(doc.namespace)
	doc.namespace != ""
} else := "metadata"
