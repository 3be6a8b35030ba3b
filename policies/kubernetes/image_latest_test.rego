package rampart.kubernetes.image_latest_test

import data.rampart.kubernetes.image_latest as policy

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"containers": containers}}

job(spec) := {
	"apiVersion": "batch/v1",
	"kind": "Job",
	"metadata": {"name": "once", "namespace": "shop"},
	"spec": {"template": {"spec": spec}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

flagged(image) if count(fields(pod([{"name": "app", "image": image}]))) == 1

test_latest_tag if {
	fields(pod([{"name": "app", "image": "nginx:latest"}])) == {"spec.containers[0].image"}
	messages(pod([{"name": "app", "image": "nginx:latest"}])) == {`Pod "web": container "app" uses image "nginx:latest" with the mutable tag latest`}
}

test_missing_tag if {
	messages(pod([{"name": "app", "image": "nginx"}])) == {`Pod "web": container "app" uses image "nginx" without a tag (resolves to latest)`}
}

test_flagged_references if {
	flagged("docker.io/library/nginx")
	flagged("ghcr.io/org/app:latest")
	flagged("registry:5000/app")
	flagged("registry.local:5000/team/app")
	flagged("registry.local:5000/team/app:latest")
	flagged("localhost:5000/app")
}

test_pinned_references_pass if {
	not flagged("nginx:1.27.0")
	not flagged("registry:5000/app:2.1")
	not flagged("nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31")
	not flagged("nginx:latest@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31")
	not flagged("registry:5000/app@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31")
	not flagged("app:LATEST-2024")
}

test_no_image_ignored if {
	count(fields(pod([{"name": "app"}]))) == 0
	count(fields(pod([{"name": "app", "image": ""}]))) == 0
}

test_init_and_ephemeral if {
	spec := {
		"initContainers": [{"name": "init", "image": "busybox"}],
		"containers": [{"name": "app", "image": "app:1.0"}, {"name": "side", "image": "proxy:latest"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:latest"}],
	}
	fields(job(spec)) == {
		"spec.template.spec.initContainers[0].image",
		"spec.template.spec.containers[1].image",
		"spec.template.spec.ephemeralContainers[0].image",
	}
}
