# METADATA
# title: Privileged container (Pod Security Standards)
# description: A privileged container gets every capability, all host devices and no seccomp, AppArmor or SELinux confinement; escaping to the node is trivial. Pod Security Standards baseline forbids securityContext.privileged=true in regular, init and ephemeral containers.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-privileged
#   severity: critical
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:privileged
#     - cis-k8s-1.10:5.2.2
#     - nsa-k8s:pod-security
#   remediation: Remove securityContext.privileged or set it to false; grant only the specific capabilities the process needs.
package rampart.kubernetes.pss_privileged

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	c.container.securityContext.privileged == true
	res := {
		"msg": sprintf("%s sets securityContext.privileged=true", [c.owner]),
		"field": concat(".", [c.path, "securityContext.privileged"]),
	}
}
