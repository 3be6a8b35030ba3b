# METADATA
# title: Container runtime socket mounted
# description: A hostPath volume on the container runtime's socket (docker.sock, containerd.sock, crio.sock, cri-dockerd.sock, podman.sock, or the docker_engine and containerd-containerd named pipes on Windows) or on the run directory that holds it gives the pod the runtime's API, which runs as root on the node. Through it the pod can start a privileged container with the host's filesystem mounted, read every other container's environment and files, and take over the node; pod-level restrictions such as non-root users or dropped capabilities do not help. This goes beyond the generic hostPath check because the path is a direct path to root on the node.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
#   - ref: https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use/
# custom:
#   id: k8s-runtime-socket-mount
#   severity: critical
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.2.12
#     - nsa-k8s:pod-security
#   remediation: Remove the hostPath volume. Build images with a daemonless builder (BuildKit rootless, kaniko, buildah) and read container metadata through the Kubernetes API or the kubelet's metrics instead; node agents that truly need the runtime API belong in a dedicated, tightly controlled namespace and should be explicitly reviewed.
package rampart.kubernetes.runtime_socket_mount

import data.lib.kubernetes as k8s

socket_names := {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock", "dockershim.sock"}

# Directories whose content includes a runtime socket.
socket_dirs := {
	"/run", "/var/run",
	"/run/docker", "/var/run/docker",
	"/run/containerd", "/var/run/containerd",
	"/run/crio", "/var/run/crio",
	"/run/podman", "/var/run/podman",
	"/run/cri-dockerd", "/var/run/cri-dockerd",
}

deny contains res if {
	some i, volume in k8s.pod_spec.volumes
	raw := volume.hostPath.path
	is_string(raw)
	what := exposes(raw)
	res := {
		"msg": sprintf("%s %q: hostPath volume %q mounts %s %q, giving the pod control of the container runtime", [input.kind, k8s.name, object.get(volume, "name", ""), what, raw]),
		"field": sprintf("%s.volumes[%d].hostPath.path", [k8s.pod_spec_path, i]),
	}
}

# normalize drops trailing slashes and repeated slashes: "/var//run/" -> "/var/run".
normalize(p) := concat("", ["/", concat("/", [part | some part in split(p, "/"); part != ""; part != "."])])

exposes(raw) := "the runtime socket" if {
	parts := split(normalize(raw), "/")
	socket_names[parts[count(parts) - 1]]
}

exposes(raw) := "the directory holding the runtime socket" if socket_dirs[normalize(raw)]

# Windows nodes expose the runtimes as named pipes.
exposes(raw) := "the runtime named pipe" if {
	some pipe in windows_pipes
	endswith(lower(raw), pipe)
}

windows_pipes := {`\pipe\docker_engine`, `\pipe\containerd-containerd`}
