# METADATA
# title: Custom SELinux options
# description: SELinux labels confine a container's processes; a custom type outside the container_* domains, or any custom user or role, can give a container an unconfined or host-level label. Pod Security Standards baseline allows seLinuxOptions.type only empty, container_t, container_init_t, container_kvm_t or container_engine_t, and forbids setting seLinuxOptions.user or seLinuxOptions.role, at pod and container level.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
# custom:
#   id: k8s-pss-selinux
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:selinux
#     - nsa-k8s:pod-security
#   remediation: Remove seLinuxOptions.user and seLinuxOptions.role, and leave seLinuxOptions.type unset or set it to container_t (or container_init_t, container_kvm_t, container_engine_t); seLinuxOptions.level may be set.
package rampart.kubernetes.pss_selinux

import data.lib.kubernetes as k8s

allowed_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# Every seLinuxOptions object of the pod and its containers: {"owner": ..., "path": ..., "value": <options>, ...}.
setters := k8s.settings.seLinuxOptions # the cached rule; undefined, so no findings, when nothing sets it

deny contains res if {
	some s in setters
	type := k8s.value_or(s.value, "type", "")
	not allowed_types[type]
	res := {
		"msg": sprintf("%s sets SELinux type %q; only container_t, container_init_t, container_kvm_t or container_engine_t are allowed", [s.owner, type]),
		"field": k8s.field(s.path, "type"),
	}
}

deny contains res if {
	some s in setters
	some key in ["user", "role"]
	value := k8s.value_or(s.value, key, "")
	value != ""
	res := {
		"msg": sprintf("%s sets SELinux %s %q; custom SELinux users and roles are forbidden", [s.owner, key, value]),
		"field": k8s.field(s.path, key),
	}
}
