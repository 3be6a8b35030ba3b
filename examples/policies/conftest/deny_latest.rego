# An existing Conftest policy, unchanged: package main, deny rules returning
# messages, Rego v0 syntax. Rampart runs it beside its own policies.
package main

deny[msg] {
	input.kind == "Deployment"
	container := input.spec.template.spec.containers[_]
	endswith(container.image, ":latest")
	msg := sprintf("container %s uses a :latest image", [container.name])
}

deny[msg] {
	input.kind == "Deployment"
	container := input.spec.template.spec.containers[_]
	not contains(container.image, ":")
	msg := sprintf("container %s has an untagged image", [container.name])
}

warn[msg] {
	input[i].Cmd == "from"
	val := input[i].Value
	contains(val[0], "ubuntu")
	msg := "consider a smaller base image than ubuntu"
}
