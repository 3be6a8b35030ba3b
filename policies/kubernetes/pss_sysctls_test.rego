package rampart.kubernetes.pss_sysctls_test

import data.rampart.kubernetes.pss_sysctls as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "shop"},
	"spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

# fields is the set of field paths the policy reports for obj.
fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

# messages is the set of messages the policy reports for obj.
messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_unsafe_sysctls if {
	spec := {
		"securityContext": {"sysctls": [
			{"name": "net.ipv4.tcp_syncookies", "value": "1"},
			{"name": "kernel.msgmax", "value": "65536"},
			{"name": "net.core.somaxconn", "value": "1024"},
		]},
		"containers": [{"name": "app"}],
	}
	fields(pod(spec)) == {"spec.securityContext.sysctls[1].name", "spec.securityContext.sysctls[2].name"}
	messages(pod(spec))["Pod \"web\" sets sysctl \"kernel.msgmax\", which is not in the baseline's safe set"]
}

test_every_safe_sysctl_passes if {
	names := [
		"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
		"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
	]
	count(fields(deployment({"securityContext": {"sysctls": [{"name": n, "value": "1"} | some n in names]}, "containers": [{"name": "app"}]}))) == 0
}

test_missing_name if {
	fields(cronjob({"securityContext": {"sysctls": [{"value": "1"}]}, "containers": [{"name": "app"}]})) == {"spec.jobTemplate.spec.template.spec.securityContext.sysctls[0]"}
}

test_no_sysctls_pass if {
	count(fields(pod({"securityContext": {"sysctls": null}, "containers": [{"name": "app"}]}))) == 0
	count(fields(pod({"containers": [{"name": "app"}]}))) == 0
}
