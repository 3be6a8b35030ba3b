# METADATA
# title: Ingress without TLS
# description: An Ingress without spec.tls serves its hosts over plain HTTP, so credentials, session cookies and data cross the network readable and modifiable by anyone on the path. When spec.tls lists hosts, each rules[].host missing from those lists is reported too. Ingresses whose certificate is attached by the cloud load balancer (AWS Load Balancer Controller certificate-arn, GKE pre-shared or managed certificates) are not flagged.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/ingress/#tls
# custom:
#   id: k8s-ingress-no-tls
#   severity: medium
#   layer: cluster
#   kinds: [Ingress]
#   controls:
#     - nsa-k8s:network-separation
#   remediation: Add spec.tls entries that cover every host in spec.rules, with a certificate Secret (for example issued by cert-manager), and redirect HTTP to HTTPS in the Ingress controller.
package rampart.kubernetes.ingress_no_tls

import data.lib.kubernetes as k8s

# Annotations through which the load balancer terminates TLS without spec.tls.
certificate_annotations := {
	"alb.ingress.kubernetes.io/certificate-arn",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"networking.gke.io/managed-certificates",
}

lb_certificate if {
	some key in certificate_annotations
	is_string(k8s.annotations[key])
	trim_space(k8s.annotations[key]) != ""
}

tls := t if {
	t := input.spec.tls
	is_array(t)
} else := []

deny contains res if {
	input.kind == "Ingress"
	is_object(input.spec)
	not lb_certificate
	count(tls) == 0
	res := {
		"msg": sprintf("Ingress %q has no spec.tls, so %s served over plain HTTP", [k8s.name, hosts_phrase]),
		"field": anchor,
	}
}

# An Ingress that lists TLS hosts but leaves some rule hosts out.
deny contains res if {
	input.kind == "Ingress"
	not lb_certificate
	count(tls) > 0
	every entry in tls {
		count(object.get(entry, "hosts", [])) > 0
	}
	some i, rule in input.spec.rules
	host := rule.host
	is_string(host)
	host != ""
	not covered(host)
	res := {
		"msg": sprintf("Ingress %q routes host %q, which no spec.tls entry covers, so it is served over plain HTTP", [k8s.name, host]),
		"field": sprintf("spec.rules[%d].host", [i]),
	}
}

anchor := "spec.tls" if "tls" in object.keys(input.spec)

else := "spec"

rule_hosts := [sprintf("%q", [h]) | some rule in input.spec.rules; h := rule.host; is_string(h); h != ""]

hosts_phrase := sprintf("host %s is", [concat(", ", rule_hosts)]) if count(rule_hosts) == 1

else := sprintf("hosts %s are", [concat(", ", rule_hosts)]) if count(rule_hosts) > 1

else := "all traffic is"

covered(host) if {
	some entry in tls
	some pattern in entry.hosts
	matches(lower(host), lower(pattern))
}

matches(host, host)

# *.example.com covers exactly one extra label: a.example.com, not a.b.example.com.
matches(host, pattern) if {
	startswith(pattern, "*.")
	suffix := substring(pattern, 1, -1)
	endswith(host, suffix)
	label := trim_suffix(host, suffix)
	label != ""
	not contains(label, ".")
}
