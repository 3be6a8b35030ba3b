package rampart.kubernetes.ingress_no_tls_test

import data.rampart.kubernetes.ingress_no_tls as policy

ingress(annotations, spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
	"spec": spec,
}

rule(host) := {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_no_tls if {
	ing := ingress({}, {"rules": [rule("shop.example.com")]})
	fields(ing) == {"spec"}
	messages(ing) == {`Ingress "web" has no spec.tls, so host "shop.example.com" is served over plain HTTP`}
}

test_no_tls_several_hosts if {
	ing := ingress({}, {"rules": [rule("a.example.com"), rule("b.example.com")]})
	messages(ing) == {`Ingress "web" has no spec.tls, so hosts "a.example.com", "b.example.com" are served over plain HTTP`}
}

test_no_tls_default_backend if {
	ing := ingress({}, {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}})
	messages(ing) == {`Ingress "web" has no spec.tls, so all traffic is served over plain HTTP`}
}

test_empty_tls_list if {
	ing := ingress({}, {"tls": [], "rules": [rule("shop.example.com")]})
	fields(ing) == {"spec.tls"}
}

test_tls_passes if {
	ing := ingress({}, {"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}], "rules": [rule("shop.example.com")]})
	count(fields(ing)) == 0
}

test_tls_without_hosts_passes if {
	# A tls entry without hosts uses the controller's default certificate for every host.
	ing := ingress({}, {"tls": [{"secretName": "shop-tls"}], "rules": [rule("shop.example.com")]})
	count(fields(ing)) == 0
}

test_uncovered_host if {
	ing := ingress({}, {
		"tls": [{"hosts": ["shop.example.com", "*.api.example.com"], "secretName": "shop-tls"}],
		"rules": [rule("shop.example.com"), rule("admin.example.com"), rule("v1.api.example.com"), rule("a.b.api.example.com"), rule("SHOP.example.com")],
	})
	fields(ing) == {"spec.rules[1].host", "spec.rules[3].host"}
	messages(ing) == {
		`Ingress "web" routes host "admin.example.com", which no spec.tls entry covers, so it is served over plain HTTP`,
		`Ingress "web" routes host "a.b.api.example.com", which no spec.tls entry covers, so it is served over plain HTTP`,
	}
}

test_load_balancer_certificate_passes if {
	count(fields(ingress({"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, {"rules": [rule("shop.example.com")]}))) == 0
	count(fields(ingress({"networking.gke.io/managed-certificates": "shop-cert"}, {"rules": [rule("shop.example.com")]}))) == 0
}

test_other_kinds_ignored if {
	count(fields({"kind": "Service", "metadata": {"name": "web"}, "spec": {}})) == 0
}
