# METADATA
# title: Kubernetes RBAC helpers
# description: |
#   Helpers shared by the RBAC policies (rampart.kubernetes.rbac_* and
#   cluster_admin_*): which kinds are roles and bindings, how a rule's verbs and
#   resources are matched in the core API group, and how bindings, subjects,
#   verbs and resources are named in messages. Input: one manifest as written.
package lib.rbac

import data.lib.kubernetes as k8s

# Kinds that hold rules (verbs on resources), which the role policies check.
role_kinds := {"Role", "ClusterRole"}

# Kinds that grant a role to subjects, which the binding policies check.
binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# A binding of the cluster-admin ClusterRole, which two policies split by who the subjects are.
cluster_admin_binding if {
	binding_kinds[input.kind]
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
}

# ` in namespace "x"` for a RoleBinding that names its namespace, else "": the scope the binding grants in.
binding_scope := k8s.in_namespace if input.kind == "RoleBinding"

else := ""

# Groups that contain practically everyone, and who they contain in messages.
broad_groups := {
	"system:authenticated": "every authenticated user",
	"system:unauthenticated": "every anonymous request",
	"system:serviceaccounts": "every service account in the cluster",
}

# Who a subject that stands for practically everyone (broad group, a namespace's service accounts, anonymous) contains; undefined for others.
broad_subject(subject) := broad_groups[subject.name] if subject.kind == "Group"

broad_subject(subject) := sprintf("every service account in namespace %q", [ns]) if {
	subject.kind == "Group"
	startswith(subject.name, "system:serviceaccounts:")
	ns := substring(subject.name, count("system:serviceaccounts:"), -1)
}

broad_subject(subject) := "every anonymous request" if {
	subject.kind == "User"
	subject.name == "system:anonymous"
}

# The rule applies to the core API group ("" or "*"), where pods, secrets and their subresources live.
core_group(rule) if {
	some g in rule.apiGroups
	g in {"", "*"}
}

# Positions in input.rules of a Role's or ClusterRole's core-group rules, computed once for every core_grants call.
core_rules contains i if {
	role_kinds[input.kind]
	some i, rule in input.rules
	core_group(rule)
}

# Each core-group grant by a Role or ClusterRole of one of verbs on one of resources as {rule, i, j, resource, verbs}, for the "can do X" rules.
core_grants(verbs, resources) := {g |
	some i in core_rules
	rule := input.rules[i]
	granted := [v | some v in rule.verbs; v in verbs]
	count(granted) > 0
	some j, resource in rule.resources
	resource in resources
	g := {"rule": rule, "i": i, "j": j, "resource": resource, "verbs": granted}
}

# Lists verbs for messages, quoting "*" so that it reads as the wildcard.
verb_list(verbs) := concat(", ", [verb_label(v) | some v in verbs])

# One verb for verb_list: "*" quoted, others as written.
verb_label("*") := "\"*\""

verb_label(v) := v if v != "*"

# Names a resource in messages, spelling out what a wildcard ("*", "pods/*") includes.
resource_label(resource, includes) := sprintf("%q (which includes %s)", [resource, includes]) if endswith(resource, "*")

else := resource
