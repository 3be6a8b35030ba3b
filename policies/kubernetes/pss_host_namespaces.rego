# METADATA
# title: Host namespaces shared
# description: A pod with hostNetwork, hostPID or hostIPC shares the node's network stack, process table or IPC objects; it can sniff node traffic, bypass NetworkPolicy, see and signal host processes or read shared memory. Pod Security Standards baseline forbids all three.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-host-namespaces
#   severity: high
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:host-namespaces
#     - cis-k8s-1.10:5.2.3
#     - cis-k8s-1.10:5.2.4
#     - cis-k8s-1.10:5.2.5
#     - nsa-k8s:pod-security
#     - nsa-k8s:network-separation
#   remediation: Remove spec.hostNetwork, spec.hostPID and spec.hostIPC from the pod spec (or set them to false); expose ports through a Service instead of the host network.
package rampart.kubernetes.pss_host_namespaces

import data.lib.kubernetes as k8s

namespaces := {
	"hostNetwork": "network",
	"hostPID": "process ID",
	"hostIPC": "IPC",
}

deny contains res if {
	some key, what in namespaces
	k8s.pod_spec[key] == true
	res := {
		"msg": sprintf("%s %q sets %s=true and shares the node's %s namespace", [input.kind, k8s.name, key, what]),
		"field": k8s.field(k8s.pod_spec_path, key),
	}
}
