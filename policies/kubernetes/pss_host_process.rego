# METADATA
# title: Windows HostProcess container
# description: A Windows HostProcess pod or container runs directly on the node with the node's network and filesystem and, typically, SYSTEM privileges; it is not isolated from the host at all. Pod Security Standards baseline forbids securityContext.windowsOptions.hostProcess=true at pod and container level.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-host-process
#   severity: critical
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:host-process
#     - cis-k8s-1.10:5.2.11
#     - nsa-k8s:pod-security
#   remediation: Remove securityContext.windowsOptions.hostProcess (or set it to false) in the pod and in every container; run node-level Windows tooling outside ordinary workloads.
package rampart.kubernetes.pss_host_process

import data.lib.kubernetes as k8s

deny contains res if {
	k8s.pod_spec.securityContext.windowsOptions.hostProcess == true
	res := {
		"msg": sprintf("%s %q sets securityContext.windowsOptions.hostProcess=true for the whole pod", [input.kind, k8s.name]),
		"field": concat(".", [k8s.pod_spec_path, "securityContext.windowsOptions.hostProcess"]),
	}
}

deny contains res if {
	some c in k8s.containers
	c.container.securityContext.windowsOptions.hostProcess == true
	res := {
		"msg": sprintf("%s sets securityContext.windowsOptions.hostProcess=true", [c.owner]),
		"field": concat(".", [c.path, "securityContext.windowsOptions.hostProcess"]),
	}
}
