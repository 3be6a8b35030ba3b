# METADATA
# title: Workloads carry owner labels
# description: |
#   Every workload needs the app.kubernetes.io/name and team labels, so that
#   alerts and incidents reach the team that owns it.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
# custom:
#   id: acme-required-labels
#   severity: low
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - acme-ops:labels
#   remediation: Add metadata.labels["app.kubernetes.io/name"] and metadata.labels.team.
package rampart.kubernetes.acme_required_labels

import data.lib.kubernetes as k8s

required := {"app.kubernetes.io/name", "team"}

deny contains res if {
	k8s.is_workload
	labels := object.get(input, ["metadata", "labels"], {})
	missing := {l | some l in required; not labels[l]}
	count(missing) > 0
	res := k8s.result(
		sprintf("%s %q lacks labels %v", [input.kind, k8s.name, sort(missing)]),
		"metadata",
	)
}
