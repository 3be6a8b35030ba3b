# METADATA
# title: Capability added beyond the default set
# description: Adding a Linux capability outside the container runtime's default set (for example NET_RAW, NET_ADMIN, SYS_ADMIN, SYS_PTRACE) widens the kernel attack surface and often allows escaping to the node. Pod Security Standards baseline only allows adding AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-baseline-capabilities
#   severity: high
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:capabilities
#     - cis-k8s-1.10:5.2.8
#     - cis-k8s-1.10:5.2.9
#     - nsa-k8s:pod-security
#   remediation: Remove the capability from securityContext.capabilities.add; if the process truly needs it, redesign it or run it outside ordinary workloads. Names are written without the CAP_ prefix.
package rampart.kubernetes.pss_baseline_capabilities

import data.lib.kubernetes as k8s

# The baseline's allowed additions (the default set of container runtimes).
allowed := {
	"AUDIT_WRITE",
	"CHOWN",
	"DAC_OVERRIDE",
	"FOWNER",
	"FSETID",
	"KILL",
	"MKNOD",
	"NET_BIND_SERVICE",
	"SETFCAP",
	"SETGID",
	"SETPCAP",
	"SETUID",
	"SYS_CHROOT",
}

deny contains res if {
	some added in k8s.added_capabilities
	capability := added.capability
	not allowed[capability]
	res := {
		"msg": sprintf("%s adds capability %v, which is not in the baseline's default set", [added.container.owner, capability]),
		"field": sprintf("%s.securityContext.capabilities.add[%d]", [added.container.path, added.index]),
	}
}
