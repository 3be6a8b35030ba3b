# METADATA
# title: Privilege escalation not disabled
# description: Unless allowPrivilegeEscalation is explicitly false, a process in the container can gain more privileges than its parent through set-user-ID or set-group-ID binaries or file capabilities (the kernel's no_new_privs flag is not set). Pod Security Standards restricted requires securityContext.allowPrivilegeEscalation=false in every container; Windows pods (spec.os.name windows) are exempt.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
# custom:
#   id: k8s-pss-privilege-escalation
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:privilege-escalation
#     - cis-k8s-1.10:5.2.6
#     - nsa-k8s:pod-security
#   remediation: Set securityContext.allowPrivilegeEscalation to false in every container, init container and ephemeral container.
package rampart.kubernetes.pss_privilege_escalation

import data.lib.kubernetes as k8s

# allowPrivilegeEscalation written as true (or anything but false).
deny contains res if {
	k8s.not_windows_pod
	some c in k8s.containers
	value := c.container.securityContext.allowPrivilegeEscalation
	value != null
	value != false
	res := {
		"msg": sprintf("%s sets securityContext.allowPrivilegeEscalation=%v; it must be false", [c.owner, value]),
		"field": concat(".", [c.path, "securityContext.allowPrivilegeEscalation"]),
	}
}

# allowPrivilegeEscalation not written: the default allows escalation.
deny contains res if {
	k8s.not_windows_pod
	some c in k8s.containers
	object.get(c.container, ["securityContext", "allowPrivilegeEscalation"], null) == null # absent or null
	res := {
		"msg": sprintf("%s does not set securityContext.allowPrivilegeEscalation=false", [c.owner]),
		"field": c.path,
	}
}
