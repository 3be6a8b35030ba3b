# METADATA
# title: Volume type not allowed by the restricted profile
# description: Besides hostPath, many in-tree volume types (nfs, iscsi, rbd, cephfs, glusterfs, gitRepo, flexVolume, cloud disks...) mount storage directly from the node or a network server with the pod's own credentials and bypass PersistentVolume administration. Pod Security Standards restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
# custom:
#   id: k8s-pss-volume-types
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:volume-types
#     - nsa-k8s:pod-security
#   remediation: Use a persistentVolumeClaim (backed by a PersistentVolume or a CSI driver), csi, ephemeral, configMap, secret, projected, downwardAPI, image or emptyDir volume instead.
package rampart.kubernetes.pss_volume_types

import data.lib.kubernetes as k8s

allowed := {
	"configMap",
	"csi",
	"downwardAPI",
	"emptyDir",
	"ephemeral",
	"image",
	"persistentVolumeClaim",
	"projected",
	"secret",
}

# Known volume sources the restricted profile forbids, in the order used to name them.
forbidden := [
	"hostPath",
	"gcePersistentDisk",
	"awsElasticBlockStore",
	"gitRepo",
	"nfs",
	"iscsi",
	"glusterfs",
	"rbd",
	"flexVolume",
	"cinder",
	"cephfs",
	"flocker",
	"fc",
	"azureFile",
	"vsphereVolume",
	"quobyte",
	"azureDisk",
	"photonPersistentDisk",
	"portworxVolume",
	"scaleIO",
	"storageos",
]

deny contains res if {
	some i, volume in k8s.pod_spec.volumes
	not has_allowed_source(volume)
	sources := [key | some key in forbidden; volume[key] != null]
	res := {
		"msg": sprintf("%s %q has volume %q of type %s; the restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes", [input.kind, k8s.name, object.get(volume, "name", ""), type_name(sources)]),
		"field": source_field(sprintf("%s.volumes[%d]", [k8s.pod_spec_path, i]), sources),
	}
}

has_allowed_source(volume) if {
	some key, source in volume
	allowed[key]
	source != null
}

type_name(sources) := sources[0] if count(sources) > 0

else := "unknown"

source_field(base, sources) := k8s.field(base, sources[0]) if count(sources) > 0

else := base
