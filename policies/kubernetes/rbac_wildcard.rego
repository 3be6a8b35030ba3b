# METADATA
# title: Wildcard in RBAC rule
# description: A "*" in a Role or ClusterRole rule's verbs, resources or apiGroups grants everything in that dimension, including subresources such as secrets and pods/exec, escalation verbs such as bind and escalate, and resources and verbs that future Kubernetes versions or CRDs add. Wildcards make a role's real power impossible to review and usually grant far more than the workload needs.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
# custom:
#   id: k8s-rbac-wildcard
#   severity: high
#   layer: cluster
#   kinds: [Role, ClusterRole]
#   controls:
#     - cis-k8s-1.10:5.1.3
#     - nsa-k8s:authentication-authorization
#   remediation: Replace each "*" with the explicit API groups, resources and verbs the subject needs (for example apiGroups ["apps"], resources ["deployments"], verbs ["get", "list", "watch"]).
package rampart.kubernetes.rbac_wildcard

import data.lib.kubernetes as k8s
import data.lib.rbac

meaning := {
	"apiGroups": "the listed resources are granted in every API group, including groups added later by CRDs",
	"resources": "every resource and subresource of the listed API groups is granted",
	"verbs": "every verb on the listed resources is granted, including special verbs such as escalate, bind and impersonate",
}

deny contains res if {
	rbac.role_kinds[input.kind]
	some i, rule in input.rules
	some field, what in meaning
	some j, value in rule[field]
	value == "*"
	res := {
		"msg": sprintf("%s %q: rules[%d].%s is \"*\", so %s", [input.kind, k8s.name, i, field, what]),
		"field": sprintf("rules[%d].%s[%d]", [i, field, j]),
	}
}
