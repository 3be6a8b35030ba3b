# METADATA
# title: Container binds a host port
# description: A hostPort binds the container port on the node's network interfaces, bypassing Services and most NetworkPolicy implementations and pinning the pod to nodes where the port is free. Pod Security Standards baseline forbids any non-zero hostPort.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-host-ports
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:host-ports
#     - cis-k8s-1.10:5.2.13
#     - nsa-k8s:pod-security
#     - nsa-k8s:network-separation
#   remediation: Remove ports[].hostPort (or set it to 0) and expose the port through a Service (ClusterIP, NodePort or LoadBalancer) or an Ingress.
package rampart.kubernetes.pss_host_ports

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some i, port in c.container.ports
	port.hostPort != null
	port.hostPort != 0
	res := {
		"msg": sprintf("%s binds host port %v", [c.owner, port.hostPort]),
		"field": sprintf("%s.ports[%d].hostPort", [c.path, i]),
	}
}
