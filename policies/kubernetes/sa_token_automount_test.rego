package rampart.kubernetes.sa_token_automount_test

import data.rampart.kubernetes.sa_token_automount as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": spec}},
}

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

test_unset if {
	spec := {"containers": [{"name": "app"}]}
	fields(deployment(spec)) == {"spec.template.spec"}
	messages(deployment(spec)) == {`Deployment "web" does not set automountServiceAccountToken to false; unless service account "default" opts out, its token is mounted into every container`}
}

test_explicit_true if {
	spec := {"serviceAccountName": "web", "automountServiceAccountToken": true, "containers": [{"name": "app"}]}
	fields(pod(spec)) == {"spec.automountServiceAccountToken"}
	messages(pod(spec)) == {`Pod "web" sets automountServiceAccountToken to true, so the token of service account "web" is mounted into every container`}
}

test_deprecated_service_account_field if {
	spec := {"serviceAccount": "legacy", "containers": [{"name": "app"}]}
	messages(pod(spec)) == {`Pod "web" does not set automountServiceAccountToken to false; unless service account "legacy" opts out, its token is mounted into every container`}
}

test_cronjob if {
	spec := {"containers": [{"name": "app"}]}
	fields(cronjob(spec)) == {"spec.jobTemplate.spec.template.spec"}
}

test_false_passes if {
	spec := {"automountServiceAccountToken": false, "containers": [{"name": "app"}]}
	count(fields(pod(spec))) == 0
	count(fields(deployment(spec))) == 0
	count(fields(cronjob(spec))) == 0
}

test_string_false_is_not_false if {
	# "false" as a string is invalid for the API; do not treat it as opting out.
	spec := {"automountServiceAccountToken": "false", "containers": [{"name": "app"}]}
	fields(pod(spec)) == {"spec.automountServiceAccountToken"}
}

test_not_a_workload if {
	count(fields({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"}})) == 0
}
