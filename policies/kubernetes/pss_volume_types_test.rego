package rampart.kubernetes.pss_volume_types_test

import data.rampart.kubernetes.pss_volume_types as policy

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

test_forbidden_volume_types if {
	spec := {"containers": [{"name": "app"}], "volumes": [
		{"name": "cfg", "configMap": {"name": "cfg"}},
		{"name": "share", "nfs": {"server": "nfs.example.com", "path": "/exports"}},
		{"name": "host", "hostPath": {"path": "/var/log"}},
		{"name": "repo", "gitRepo": {"repository": "https://example.com/r.git"}},
	]}
	fields(pod(spec)) == {"spec.volumes[1].nfs", "spec.volumes[2].hostPath", "spec.volumes[3].gitRepo"}
	messages(pod(spec))["Pod \"web\" has volume \"share\" of type nfs; the restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes"]
}

test_allowed_types_pass if {
	count(fields(deployment({"containers": [{"name": "app"}], "volumes": [
		{"name": "a", "configMap": {"name": "c"}},
		{"name": "b", "csi": {"driver": "d"}},
		{"name": "c", "downwardAPI": {"items": []}},
		{"name": "d", "emptyDir": {}},
		{"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
		{"name": "f", "image": {"reference": "r"}},
		{"name": "g", "persistentVolumeClaim": {"claimName": "p"}},
		{"name": "h", "projected": {"sources": []}},
		{"name": "i", "secret": {"secretName": "s"}},
	]}))) == 0
}

test_volume_without_source if {
	fields(cronjob({"containers": [{"name": "app"}], "volumes": [{"name": "nothing"}, {"name": "null", "emptyDir": null}]})) == {
		"spec.jobTemplate.spec.template.spec.volumes[0]",
		"spec.jobTemplate.spec.template.spec.volumes[1]",
	}
}

# Like the admission controller, one allowed source is enough for the volume to pass this check.
test_allowed_source_wins if {
	count(fields(pod({"containers": [{"name": "app"}], "volumes": [{"name": "x", "emptyDir": {}, "hostPath": {"path": "/"}}]}))) == 0
}
