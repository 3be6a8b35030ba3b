# METADATA
# title: Secret passed as a build argument
# description: |
#   A build argument whose name says it carries a credential (NPM_TOKEN,
#   DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY...) is declared without a
#   literal default, or an ENV of such a name copies a variable. Build
#   arguments are not secret: their values are recorded in the image history
#   of every RUN that uses them and in build provenance attestations, and an
#   ENV copies the value into the image configuration for good. Literal values
#   are the rule dockerfile-secret-in-env.
# related_resources:
#   - ref: https://docs.docker.com/build/building/secrets/
#   - ref: https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-secret-build-arg
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.10
#   remediation: Use a BuildKit secret mount instead, for example RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci with docker build --secret id=npm_token,env=NPM_TOKEN, and provide runtime credentials when the container starts, not in ENV.
package rampart.dockerfile.secret_build_arg

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.key_value_commands
	c.cmd == "arg"
	some p in docker.kv_pairs(c)
	docker.secret_name(p.key)
	no_literal_default(p)
	res := docker.result(
		sprintf("ARG %q declares a secret as a build argument; its value is recorded in the image history and build provenance", [p.key]),
		c,
	)
}

deny contains res if {
	some c in docker.key_value_commands
	c.cmd == "env"
	some p in docker.kv_pairs(c)
	p.set
	docker.secret_name(p.key)
	docker.has_ref(p.value)
	not docker.is_path(p.value)
	res := docker.result(
		sprintf("ENV %q copies %s into the image configuration, readable by anyone who can pull the image", [p.key, p.value]),
		c,
	)
}

no_literal_default(p) if not p.set

no_literal_default(p) if p.value == ""

no_literal_default(p) if {
	docker.has_ref(p.value)
	not docker.is_path(p.value)
}
