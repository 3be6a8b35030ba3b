# METADATA
# title: hostPath volume
# description: A hostPath volume mounts a file or directory of the node into the pod; with write access (or a sensitive path such as /, /etc, /var/run/docker.sock or /var/lib/kubelet) it gives control of the node. Pod Security Standards baseline forbids hostPath volumes.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-host-path-volumes
#   severity: high
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:host-path-volumes
#     - cis-k8s-1.10:5.2.12
#     - nsa-k8s:pod-security
#   remediation: Replace the hostPath volume with an emptyDir, configMap, secret, projected or persistentVolumeClaim volume; node agents that truly need host files belong in a dedicated, separately reviewed namespace.
package rampart.kubernetes.pss_host_path_volumes

import data.lib.kubernetes as k8s

deny contains res if {
	some i, volume in k8s.pod_spec.volumes
	volume.hostPath != null
	res := {
		"msg": sprintf("%s %q mounts hostPath volume %q (path %v)", [input.kind, k8s.name, object.get(volume, "name", ""), object.get(volume, ["hostPath", "path"], "")]),
		"field": sprintf("%s.volumes[%d].hostPath", [k8s.pod_spec_path, i]),
	}
}
