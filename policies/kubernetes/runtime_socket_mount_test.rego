package rampart.kubernetes.runtime_socket_mount_test

import data.rampart.kubernetes.runtime_socket_mount as policy

pod(volumes) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "builder", "namespace": "ci"},
	"spec": {"containers": [{"name": "app", "image": "docker:27"}], "volumes": volumes},
}

daemonset(volumes) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent", "namespace": "monitoring"},
	"spec": {"template": {"spec": {"containers": [{"name": "agent"}], "volumes": volumes}}},
}

host_path(name, path) := {"name": name, "hostPath": {"path": path}}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

flagged(path) if count(fields(pod([host_path("v", path)]))) == 1

test_docker_socket if {
	obj := pod([{"name": "tmp", "emptyDir": {}}, {"name": "docker", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}])
	fields(obj) == {"spec.volumes[1].hostPath.path"}
	messages(obj) == {`Pod "builder": hostPath volume "docker" mounts the runtime socket "/var/run/docker.sock", giving the pod control of the container runtime`}
}

test_sockets_and_dirs if {
	flagged("/run/containerd/containerd.sock")
	flagged("/var/run/crio/crio.sock")
	flagged("/run/docker.sock")
	flagged("/var/run/cri-dockerd.sock")
	flagged("/run/podman/podman.sock")
	flagged("/var/run")
	flagged("/var/run/")
	flagged("/run/containerd")
	flagged("//var//run/docker.sock")
}

test_directory_message if {
	messages(daemonset([host_path("run", "/var/run/containerd/")])) == {`DaemonSet "agent": hostPath volume "run" mounts the directory holding the runtime socket "/var/run/containerd/", giving the pod control of the container runtime`}
	fields(daemonset([host_path("run", "/var/run/containerd/")])) == {"spec.template.spec.volumes[0].hostPath.path"}
}

test_windows_named_pipes if {
	flagged(`\\.\pipe\docker_engine`)
	flagged(`\\.\pipe\containerd-containerd`)
	not flagged(`\\.\pipe\other`)
}

test_other_host_paths_pass if {
	not flagged("/var/log")
	not flagged("/var/lib/docker/containers")
	not flagged("/run/secrets")
	not flagged("/var/run/docker.sock.bak")
	not flagged("/etc/docker")
}

test_other_volumes_pass if {
	count(fields(pod([{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]))) == 0
}
