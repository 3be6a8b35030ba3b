# METADATA
# title: Service exposed through a public load balancer
# description: A LoadBalancer Service asks the cloud provider for a load balancer that, by default, is reachable from the internet on every Service port. That is sometimes the intent, but it should be a reviewed decision; internal load balancers (the providers' internal annotations) and Services that restrict clients with loadBalancerSourceRanges (not 0.0.0.0/0 or ::/0) are not flagged.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer
#   - ref: https://kubernetes.io/docs/concepts/services-networking/service/#internal-load-balancer
# custom:
#   id: k8s-service-loadbalancer
#   severity: low
#   layer: cluster
#   kinds: [Service]
#   controls:
#     - nsa-k8s:network-separation
#   remediation: Expose HTTP services through an Ingress or Gateway with TLS; otherwise make the load balancer internal with your provider's annotation, or limit clients with spec.loadBalancerSourceRanges.
package rampart.kubernetes.service_loadbalancer

import data.lib.kubernetes as k8s

deny contains res if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not is_internal
	not restricted
	res := {
		"msg": sprintf("Service %q is of type LoadBalancer %s, so any client that can reach the load balancer can connect", [k8s.name, exposure]),
		"field": "spec.type",
	}
}

exposure := "and allows 0.0.0.0/0 or ::/0 in its source ranges" if {
	open_range
} else := "with no internal-load-balancer annotation and no loadBalancerSourceRanges"

# Provider annotations that make the load balancer internal: key -> accepted values (lower case).
internal_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
	"networking.gke.io/load-balancer-type": {"internal"},
	"cloud.google.com/load-balancer-type": {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
	"service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
	"service.beta.kubernetes.io/openstack-internal-load-balancer": {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
	"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": {"intranet"},
}

is_internal if {
	some key, values in internal_annotations
	value := k8s.annotations[key]
	is_string(value)
	lower(trim_space(value)) in values
}

open_cidrs := {"0.0.0.0/0", "::/0"}

# spec.loadBalancerSourceRanges, or the older annotation when the field is absent.
source_ranges := [trim_space(r) | some r in input.spec.loadBalancerSourceRanges; is_string(r)] if {
	is_array(input.spec.loadBalancerSourceRanges)
} else := [trim_space(r) | some r in split(k8s.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"], ","); trim_space(r) != ""] if {
	is_string(k8s.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"])
} else := []

restricted if {
	count(source_ranges) > 0
	not open_range
}

open_range if {
	some r in source_ranges
	open_cidrs[r]
}
