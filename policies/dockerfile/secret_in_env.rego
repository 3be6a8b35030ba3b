# METADATA
# title: Secret written in ENV, ARG or LABEL
# description: |
#   An ENV, ARG default or LABEL whose name says it holds a credential
#   (..._PASSWORD, ..._TOKEN, ..._SECRET, API_KEY, ACCESS_KEY, PRIVATE_KEY,
#   CREDENTIALS...) is given a literal value. The value sits in the Dockerfile's
#   version history, and ENV and LABEL values are stored in the image
#   configuration, ARG values in the image history, where anyone who can pull
#   the image reads them with docker inspect or docker history. Values that
#   cannot be a secret are ignored: empty, a variable reference ($VAR),
#   true/false/yes/no/0/1/none, and file paths (/run/secrets/db, ./key.json),
#   so ..._PASSWORD=/run/secrets/x and MYSQL_ALLOW_EMPTY_PASSWORD=yes pass.
#   Build arguments that carry secrets without a literal value are the rule
#   dockerfile-secret-build-arg.
# related_resources:
#   - ref: https://docs.docker.com/build/building/secrets/
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-secret-in-env
#   severity: critical
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.10
#   remediation: Remove the value from the Dockerfile and rotate the credential. Pass build-time secrets with RUN --mount=type=secret,id=<id> (docker build --secret id=<id>,src=<file>) and runtime secrets through the orchestrator (Kubernetes Secrets, Docker secrets, a vault) as environment variables or files at run time.
package rampart.dockerfile.secret_in_env

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.key_value_commands
	some p in docker.kv_pairs(c)
	p.set
	docker.secret_name(p.key)
	docker.literal(p.value)
	res := docker.result(sprintf(messages[c.cmd], [p.key]), c)
}

messages := {
	"env": "ENV sets %q to a literal value; it is stored in the image configuration, readable by anyone who can pull the image",
	"arg": "ARG %q has a literal default value; it is written in the Dockerfile and recorded in the image history",
	"label": "LABEL %q holds a literal value; labels are public image metadata",
}
