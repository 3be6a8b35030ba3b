# METADATA
# title: RBAC escalation verbs
# description: The bind and escalate verbs on roles and clusterroles let a subject grant, or create roles with, permissions it does not hold, side-stepping RBAC's privilege-escalation prevention; impersonate on users, groups, service accounts or uids lets it act as anyone, for example as a member of system:masters. A "*" verb on those resources grants the same. Any of them is effectively a path to cluster-admin.
# related_resources:
#   - ref: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
#   - ref: https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
# custom:
#   id: k8s-rbac-escalation-verbs
#   severity: high
#   layer: cluster
#   kinds: [Role, ClusterRole]
#   controls:
#     - cis-k8s-1.10:5.1.8
#     - nsa-k8s:authentication-authorization
#   remediation: Remove bind, escalate and impersonate (and "*" verbs on roles, clusterroles, users, groups and serviceaccounts) from the role; grant them only to the few administrators or controllers that must manage RBAC or impersonate, and restrict them with resourceNames where possible.
package rampart.kubernetes.rbac_escalation_verbs

import data.lib.kubernetes as k8s
import data.lib.rbac

escalation_verbs := {"bind", "escalate", "impersonate"}

# Resources on which the special verbs mean something.
escalation_resources := {"*", "roles", "clusterroles", "users", "groups", "serviceaccounts", "uids", "userextras/*"}

deny contains res if {
	rbac.role_kinds[input.kind]
	some i, rule in input.rules
	some j, verb in rule.verbs
	escalation_verbs[verb]
	res := {
		"msg": sprintf("%s %q: rules[%d] grants %s on %s", [input.kind, k8s.name, i, verb, resources(rule)]),
		"field": sprintf("rules[%d].verbs[%d]", [i, j]),
	}
}

deny contains res if {
	rbac.role_kinds[input.kind]
	some i, rule in input.rules
	some j, verb in rule.verbs
	verb == "*"
	targets := [r | some r in rule.resources; escalation_resource(r)]
	count(targets) > 0
	res := {
		"msg": sprintf("%s %q: rules[%d] grants verb \"*\" on %s, which includes bind, escalate or impersonate", [input.kind, k8s.name, i, concat(", ", targets)]),
		"field": sprintf("rules[%d].verbs[%d]", [i, j]),
	}
}

escalation_resource(r) if escalation_resources[r]

escalation_resource(r) if startswith(r, "userextras/")

resources(rule) := concat(", ", rule.resources) if {
	count(object.get(rule, "resources", [])) > 0
} else := "no resources"
