# METADATA
# title: Container without liveness probe
# description: Without a livenessProbe the kubelet restarts a container only when its process exits; a deadlocked or wedged process keeps running, keeps its resources and keeps failing requests until someone notices. Checked on the regular containers of long-running workloads; Jobs, CronJobs, init and ephemeral containers are skipped.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-a-liveness-command
# custom:
#   id: k8s-no-liveness-probe
#   severity: low
#   layer: cluster
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   controls: []
#   remediation: Add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails only when the process cannot recover by itself, with an initialDelaySeconds or a startupProbe long enough for a slow start.
package rampart.kubernetes.no_liveness_probe

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.long_running_containers
	is_object(object.get(c.container, "livenessProbe", null)) == false # == false rather than not: cheaper
	res := {
		"msg": sprintf("%s %q: container %q has no livenessProbe", [input.kind, k8s.name, c.name]),
		"field": c.path,
	}
}
