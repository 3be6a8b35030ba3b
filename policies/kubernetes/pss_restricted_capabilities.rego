# METADATA
# title: Capabilities not dropped
# description: Containers start with the runtime's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW and more), which most applications never need. Pod Security Standards restricted requires every container to drop ALL capabilities and to add back at most NET_BIND_SERVICE; Windows pods (spec.os.name windows) are exempt.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
# custom:
#   id: k8s-pss-restricted-capabilities
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-restricted:capabilities
#     - cis-k8s-1.10:5.2.8
#     - cis-k8s-1.10:5.2.9
#     - cis-k8s-1.10:5.2.10
#     - nsa-k8s:pod-security
#   remediation: 'Set securityContext.capabilities.drop: ["ALL"] in every container and add back only NET_BIND_SERVICE when the process binds a port below 1024.'
package rampart.kubernetes.pss_restricted_capabilities

import data.lib.kubernetes as k8s

# No capabilities block at all.
deny contains res if {
	k8s.not_windows_pod
	some c in k8s.containers
	object.get(c.container, ["securityContext", "capabilities"], null) == null # absent or null
	res := {
		"msg": sprintf("%s does not drop ALL capabilities (no securityContext.capabilities)", [c.owner]),
		"field": c.path,
	}
}

# A capabilities block whose drop list lacks ALL.
deny contains res if {
	k8s.not_windows_pod
	some c in k8s.containers
	c.container.securityContext.capabilities != null
	not drops_all(c.container)
	res := {
		"msg": sprintf("%s does not drop ALL capabilities (securityContext.capabilities.drop lacks \"ALL\")", [c.owner]),
		"field": drop_field(c),
	}
}

# Any added capability other than NET_BIND_SERVICE.
deny contains res if {
	k8s.not_windows_pod
	some added in k8s.added_capabilities
	capability := added.capability
	capability != "NET_BIND_SERVICE"
	res := {
		"msg": sprintf("%s adds capability %v; the restricted profile allows adding only NET_BIND_SERVICE", [added.container.owner, capability]),
		"field": sprintf("%s.securityContext.capabilities.add[%d]", [added.container.path, added.index]),
	}
}

drops_all(container) if "ALL" in container.securityContext.capabilities.drop

# Point at the drop list when written, else at the container.
drop_field(c) := concat(".", [c.path, "securityContext.capabilities.drop"]) if c.container.securityContext.capabilities.drop != null

else := c.path
