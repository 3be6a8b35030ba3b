# METADATA
# title: Root filesystem is writable
# description: Unless securityContext.readOnlyRootFilesystem is true, a process (or an attacker in it) can modify the container's own binaries and configuration, drop tools and persist changes for the life of the container. An immutable root filesystem, with emptyDir volumes for the few paths that need writes, is recommended by the NSA/CISA hardening guide. Init and regular containers are checked; Windows pods (spec.os.name windows) are skipped because Windows does not support the setting.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
# custom:
#   id: k8s-writable-root-fs
#   severity: low
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.7.3
#     - nsa-k8s:immutable-fs
#   remediation: Set securityContext.readOnlyRootFilesystem to true on each container and mount emptyDir volumes on the directories the application must write to (for example /tmp or a cache directory).
package rampart.kubernetes.writable_root_fs

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.not_windows_pod
	some c in k8s.app_containers
	object.get(c.container, ["securityContext", "readOnlyRootFilesystem"], null) != true # rather than not ... == true: cheaper
	res := {
		"msg": sprintf("%s %q: %s %q %s", [input.kind, k8s.name, c.label, c.name, problem(c)]),
		"field": anchor(c),
	}
}

problem(c) := sprintf("sets securityContext.readOnlyRootFilesystem to %v", [c.container.securityContext.readOnlyRootFilesystem]) if {
	_ = c.container.securityContext.readOnlyRootFilesystem # written, whatever the value
} else := "does not set securityContext.readOnlyRootFilesystem to true"

anchor(c) := concat(".", [c.path, "securityContext.readOnlyRootFilesystem"]) if {
	_ = c.container.securityContext.readOnlyRootFilesystem # written, whatever the value
} else := concat(".", [c.path, "securityContext"]) if {
	_ = c.container.securityContext
} else := c.path
