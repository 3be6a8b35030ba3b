# METADATA
# title: Service of type NodePort
# description: A NodePort Service opens the same port on every node's IP addresses, typically in 30000-32767, for every client that can reach a node. It bypasses the load balancer or Ingress where TLS, authentication and rate limiting usually live, and it is easy to forget that node addresses are reachable from outside the cluster network.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
# custom:
#   id: k8s-service-nodeport
#   severity: medium
#   layer: cluster
#   kinds: [Service]
#   controls:
#     - nsa-k8s:network-separation
#   remediation: Use a ClusterIP Service behind an Ingress or Gateway (or an internal LoadBalancer) instead; if a NodePort is really needed, restrict access to the node ports with firewall rules or security groups.
package rampart.kubernetes.service_nodeport

import data.lib.kubernetes as k8s

deny contains res if {
	input.kind == "Service"
	input.spec.type == "NodePort"
	res := {
		"msg": sprintf("Service %q is of type NodePort and opens %s on every node", [k8s.name, ports]),
		"field": "spec.type",
	}
}

ports := sprintf("port %s", [node_ports[0]]) if {
	count(node_ports) == 1
} else := sprintf("ports %s", [concat(", ", node_ports)]) if {
	count(node_ports) > 1
} else := "a port"

node_ports := [format_int(p.nodePort, 10) | some p in input.spec.ports; is_number(p.nodePort)]
