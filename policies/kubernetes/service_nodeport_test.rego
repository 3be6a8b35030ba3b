package rampart.kubernetes.service_nodeport_test

import data.rampart.kubernetes.service_nodeport as policy

service(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_nodeport if {
	svc := service({"type": "NodePort", "ports": [{"port": 80}]})
	fields(svc) == {"spec.type"}
	messages(svc) == {`Service "web" is of type NodePort and opens a port on every node`}
}

test_nodeport_with_fixed_ports if {
	svc := service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}, {"port": 443, "nodePort": 30443}]})
	messages(svc) == {`Service "web" is of type NodePort and opens ports 30080, 30443 on every node`}
}

test_other_types_pass if {
	count(fields(service({"type": "ClusterIP", "ports": [{"port": 80}]}))) == 0
	count(fields(service({"ports": [{"port": 80}]}))) == 0
	count(fields(service({"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 30080}]}))) == 0
	count(fields(service({"type": "ExternalName", "externalName": "db.example.com"}))) == 0
}

test_other_kinds_ignored if {
	count(fields({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"type": "NodePort"}})) == 0
}

test_single_fixed_port if {
	svc := service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]})
	messages(svc) == {`Service "web" is of type NodePort and opens port 30080 on every node`}
}
