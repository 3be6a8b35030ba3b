package lib.rbac_test

import data.lib.rbac

# --- input builders ---------------------------------------------------------

binding(kind, role_kind, role, namespace) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "b", "namespace": namespace},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
	"subjects": [],
}

role(kind, rules) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "r"},
	"rules": rules,
}

# --- kinds ------------------------------------------------------------------

test_kinds if {
	rbac.role_kinds == {"Role", "ClusterRole"}
	rbac.binding_kinds == {"RoleBinding", "ClusterRoleBinding"}
}

# --- cluster_admin_binding --------------------------------------------------

test_cluster_admin_binding if {
	rbac.cluster_admin_binding with input as binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", "")
	rbac.cluster_admin_binding with input as binding("RoleBinding", "ClusterRole", "cluster-admin", "shop")
	not rbac.cluster_admin_binding with input as binding("RoleBinding", "Role", "cluster-admin", "shop")
	not rbac.cluster_admin_binding with input as binding("ClusterRoleBinding", "ClusterRole", "view", "")
	not rbac.cluster_admin_binding with input as object.union(binding("X", "ClusterRole", "cluster-admin", ""), {"kind": "ClusterRole"})
}

# --- binding_scope ----------------------------------------------------------

test_binding_scope if {
	rbac.binding_scope == " in namespace \"shop\"" with input as binding("RoleBinding", "Role", "r", "shop")
	rbac.binding_scope == "" with input as binding("RoleBinding", "Role", "r", "")
	rbac.binding_scope == "" with input as binding("ClusterRoleBinding", "ClusterRole", "r", "shop")
}

# --- broad_subject ----------------------------------------------------------

test_broad_subject_groups if {
	rbac.broad_subject({"kind": "Group", "name": "system:authenticated"}) == "every authenticated user"
	rbac.broad_subject({"kind": "Group", "name": "system:unauthenticated"}) == "every anonymous request"
	rbac.broad_subject({"kind": "Group", "name": "system:serviceaccounts"}) == "every service account in the cluster"
	rbac.broad_subject({"kind": "Group", "name": "system:serviceaccounts:ci"}) == "every service account in namespace \"ci\""
}

test_broad_subject_anonymous_user if {
	rbac.broad_subject({"kind": "User", "name": "system:anonymous"}) == "every anonymous request"
}

test_broad_subject_not_broad if {
	not rbac.broad_subject({"kind": "Group", "name": "system:masters"})
	not rbac.broad_subject({"kind": "User", "name": "system:authenticated"})
	not rbac.broad_subject({"kind": "ServiceAccount", "name": "default", "namespace": "ci"})
	not rbac.broad_subject({"kind": "Group", "name": "admins"})
}

# --- core_group -------------------------------------------------------------

test_core_group if {
	rbac.core_group({"apiGroups": [""]})
	rbac.core_group({"apiGroups": ["apps", "*"]})
	not rbac.core_group({"apiGroups": ["apps"]})
	not rbac.core_group({"apiGroups": []})
	not rbac.core_group({})
}

# --- core_grants ------------------------------------------------------------

test_core_grants if {
	rules := [
		{"apiGroups": ["apps"], "resources": ["pods"], "verbs": ["create"]},
		{"apiGroups": [""], "resources": ["configmaps", "pods", "*"], "verbs": ["get", "*", "create"]},
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
	]
	got := {[g.i, g.j, g.resource, g.verbs] | some g in rbac.core_grants({"create", "*"}, {"pods", "*"})} with input as role("Role", rules)
	got == {[1, 1, "pods", ["*", "create"]], [1, 2, "*", ["*", "create"]]}
}

test_core_grants_keeps_the_rule if {
	rule := {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["one"]}
	grants := rbac.core_grants({"get"}, {"secrets"}) with input as role("ClusterRole", [rule])
	[g.rule | some g in grants] == [rule]
}

test_core_grants_only_roles if {
	rules := [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]
	count(rbac.core_grants({"create"}, {"pods"})) == 1 with input as role("ClusterRole", rules)
	count(rbac.core_grants({"create"}, {"pods"})) == 0 with input as role("RoleBinding", rules)
}

# --- verb_list, resource_label ----------------------------------------------

test_verb_list if {
	rbac.verb_list(["get", "*", "list"]) == "get, \"*\", list"
	rbac.verb_list(["create"]) == "create"
	rbac.verb_list([]) == ""
}

test_resource_label if {
	rbac.resource_label("pods", "pods") == "pods"
	rbac.resource_label("*", "pods") == "\"*\" (which includes pods)"
	rbac.resource_label("pods/*", "pods/exec and pods/attach") == "\"pods/*\" (which includes pods/exec and pods/attach)"
	rbac.resource_label("pods/exec", "pods/exec and pods/attach") == "pods/exec"
}
