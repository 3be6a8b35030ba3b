package rampart.kubernetes.service_loadbalancer_test

import data.rampart.kubernetes.service_loadbalancer as policy

service(annotations, spec) := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
	"spec": object.union({"type": "LoadBalancer", "ports": [{"port": 443}]}, spec),
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_public_load_balancer if {
	svc := service({}, {})
	fields(svc) == {"spec.type"}
	messages(svc) == {`Service "web" is of type LoadBalancer with no internal-load-balancer annotation and no loadBalancerSourceRanges, so any client that can reach the load balancer can connect`}
}

test_without_annotations_key if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"type": "LoadBalancer"}}
	fields(svc) == {"spec.type"}
}

test_open_source_ranges if {
	svc := service({}, {"loadBalancerSourceRanges": ["10.0.0.0/8", "0.0.0.0/0"]})
	messages(svc) == {`Service "web" is of type LoadBalancer and allows 0.0.0.0/0 or ::/0 in its source ranges, so any client that can reach the load balancer can connect`}
}

test_restricted_source_ranges_pass if {
	count(fields(service({}, {"loadBalancerSourceRanges": ["203.0.113.0/24"]}))) == 0
	count(fields(service({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24, 198.51.100.7/32"}, {}))) == 0
}

test_open_annotation_ranges if {
	count(fields(service({"service.beta.kubernetes.io/load-balancer-source-ranges": "::/0"}, {}))) == 1
}

test_internal_annotations_pass if {
	every a in [
		{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
		{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
		{"networking.gke.io/load-balancer-type": "Internal"},
		{"cloud.google.com/load-balancer-type": "Internal"},
		{"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
		{"service.beta.kubernetes.io/oci-load-balancer-internal": "true"},
	] {
		count(fields(service(a, {}))) == 0
	}
}

test_internal_false_still_flagged if {
	count(fields(service({"service.beta.kubernetes.io/azure-load-balancer-internal": "false"}, {}))) == 1
	count(fields(service({"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}, {}))) == 1
}

test_other_types_pass if {
	count(fields(service({}, {"type": "ClusterIP"}))) == 0
	count(fields(service({}, {"type": "NodePort"}))) == 0
}
