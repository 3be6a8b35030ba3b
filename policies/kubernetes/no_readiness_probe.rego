# METADATA
# title: Container without readiness probe
# description: Without a readinessProbe a container counts as ready as soon as it starts, so Services send it traffic before it can answer and rolling updates proceed (and remove the old pods) even when the new version never becomes able to serve. Checked on the regular containers of long-running workloads; Jobs, CronJobs, init and ephemeral containers are skipped.
# related_resources:
#   - ref: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-readiness-probes
# custom:
#   id: k8s-no-readiness-probe
#   severity: low
#   layer: cluster
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   controls: []
#   remediation: Add a readinessProbe that checks the container can serve requests (for example an httpGet on a health endpoint), so traffic and rollouts wait for it.
package rampart.kubernetes.no_readiness_probe

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.long_running_containers
	is_object(object.get(c.container, "readinessProbe", null)) == false # == false rather than not: cheaper
	res := {
		"msg": sprintf("%s %q: container %q has no readinessProbe", [input.kind, k8s.name, c.name]),
		"field": c.path,
	}
}
