# METADATA
# title: Resource in the default namespace
# description: Objects placed in the default namespace share it with everything else deployed without thought, so RBAC, NetworkPolicies, quotas and Pod Security admission cannot be scoped to the application. The check fires only on an explicit metadata.namespace of default; a manifest without a namespace goes wherever kubectl's current context points, which this check cannot know. Guardrail objects (NetworkPolicy, LimitRange, ResourceQuota) are not flagged, since adding them to default is good practice.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
# custom:
#   id: k8s-default-namespace
#   severity: low
#   layer: cluster
#   kinds: [workload, Service, Secret, ConfigMap, ServiceAccount, Role, RoleBinding, Ingress, PersistentVolumeClaim, HorizontalPodAutoscaler, PodDisruptionBudget]
#   controls:
#     - cis-k8s-1.10:5.7.4
#     - nsa-k8s:network-separation
#   remediation: Create a dedicated namespace for the application and set metadata.namespace to it (or drop the field and deploy with kubectl -n / a kustomize namespace); keep the default namespace empty.
package rampart.kubernetes.default_namespace

import data.lib.kubernetes as k8s

# k8s.workload_kinds and the other namespaced kinds, written out: a set union would be
# recomputed on every evaluation.
namespaced_kinds := {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"ReplicationController",
	"Job",
	"Pod",
	"CronJob",
	"Service",
	"Secret",
	"ConfigMap",
	"ServiceAccount",
	"Role",
	"RoleBinding",
	"Ingress",
	"PersistentVolumeClaim",
	"HorizontalPodAutoscaler",
	"PodDisruptionBudget",
}

deny contains res if {
	namespaced_kinds[input.kind]
	k8s.namespace == "default"
	res := {
		"msg": sprintf("%s %q is in the default namespace", [input.kind, k8s.name]),
		"field": "metadata.namespace",
	}
}
