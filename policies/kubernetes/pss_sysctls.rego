# METADATA
# title: Unsafe sysctl
# description: Pod sysctls that are not namespaced, or not isolated between pods, change kernel settings for the whole node or can disable security mechanisms. Pod Security Standards baseline allows only the safe set kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
#   - ref: https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
# custom:
#   id: k8s-pss-sysctls
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - pss-baseline:sysctls
#     - nsa-k8s:pod-security
#   remediation: Remove the sysctl from spec.securityContext.sysctls; tune node-level kernel settings on the node (or through a reviewed node-tuning DaemonSet) instead of in application pods.
package rampart.kubernetes.pss_sysctls

import data.lib.kubernetes as k8s

safe := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
}

deny contains res if {
	some i, sysctl in k8s.pod_spec.securityContext.sysctls
	name := object.get(sysctl, "name", "")
	not safe[name]
	res := {
		"msg": sprintf("%s %q sets sysctl %q, which is not in the baseline's safe set", [input.kind, k8s.name, sprintf("%v", [name])]),
		"field": name_field(sprintf("%s.securityContext.sysctls[%d]", [k8s.pod_spec_path, i]), sysctl),
	}
}

name_field(base, sysctl) := k8s.field(base, "name") if sysctl.name != null

else := base
