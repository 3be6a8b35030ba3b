# METADATA
# title: Secret exposed as environment variables
# description: Secrets passed through env[].valueFrom.secretKeyRef or envFrom[].secretRef become environment variables, which are inherited by every child process, show up in /proc/<pid>/environ, crash dumps and debug endpoints, are often logged by frameworks at start-up, and never change until the pod restarts. Secrets mounted as files avoid most of this and are updated in place. CIS recommends files over environment variables.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod
# custom:
#   id: k8s-env-from-secret
#   severity: low
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.4.1
#     - nsa-k8s:secrets
#   remediation: Mount the Secret as a volume (volumes[].secret, with readOnly volumeMounts and only the needed items) and have the application read the file, for example through a *_FILE variable pointing at the mounted path.
package rampart.kubernetes.env_from_secret

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some i, env in c.container.env
	ref := env.valueFrom.secretKeyRef
	is_object(ref)
	res := {
		"msg": sprintf("%s %q: %s %q reads %s from key %q of Secret %q through an environment variable", [input.kind, k8s.name, c.label, c.name, object.get(env, "name", ""), object.get(ref, "key", ""), object.get(ref, "name", "")]),
		"field": sprintf("%s.env[%d].valueFrom.secretKeyRef", [c.path, i]),
	}
}

deny contains res if {
	some c in k8s.containers
	some i, source in c.container.envFrom
	ref := source.secretRef
	is_object(ref)
	res := {
		"msg": sprintf("%s %q: %s %q loads every key of Secret %q as environment variables", [input.kind, k8s.name, c.label, c.name, object.get(ref, "name", "")]),
		"field": sprintf("%s.envFrom[%d].secretRef", [c.path, i]),
	}
}
