package rampart.kubernetes.env_from_secret_test

import data.rampart.kubernetes.env_from_secret as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "shop"},
	"spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

test_secret_key_ref if {
	spec := {"containers": [{"name": "app", "env": [
		{"name": "MODE", "value": "prod"},
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
	]}]}
	fields(pod(spec)) == {"spec.containers[0].env[1].valueFrom.secretKeyRef"}
	messages(pod(spec)) == {`Pod "web": container "app" reads DB_PASSWORD from key "password" of Secret "db" through an environment variable`}
}

test_env_from_secret_ref if {
	spec := {"containers": [{"name": "app", "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "creds"}}]}]}
	fields(cronjob(spec)) == {"spec.jobTemplate.spec.template.spec.containers[0].envFrom[1].secretRef"}
	messages(cronjob(spec)) == {`CronJob "nightly": container "app" loads every key of Secret "creds" as environment variables`}
}

test_init_container if {
	spec := {
		"initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "creds"}}]}],
		"containers": [{"name": "app"}],
	}
	fields(pod(spec)) == {"spec.initContainers[0].envFrom[0].secretRef"}
}

test_other_sources_pass if {
	spec := {
		"containers": [{
			"name": "app",
			"env": [
				{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
				{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "level"}}},
			],
			"envFrom": [{"configMapRef": {"name": "cfg"}}],
			"volumeMounts": [{"name": "creds", "mountPath": "/run/secrets/creds", "readOnly": true}],
		}],
		"volumes": [{"name": "creds", "secret": {"secretName": "creds"}}],
	}
	count(fields(pod(spec))) == 0
}

test_ephemeral_container if {
	spec := {"containers": [{"name": "app"}], "ephemeralContainers": [{"name": "debug", "envFrom": [{"secretRef": {"name": "creds"}}]}]}
	messages(pod(spec)) == {`Pod "web": ephemeral container "debug" loads every key of Secret "creds" as environment variables`}
}
