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
	some c in key_value_commands
	some p in kv_pairs(c)
	p.set
	secret_name(p.key)
	literal(p.value)
	res := docker.result(sprintf(messages[c.cmd], [p.key]), c)
}

messages := {
	"env": "ENV sets %q to a literal value; it is stored in the image configuration, readable by anyone who can pull the image",
	"arg": "ARG %q has a literal default value; it is written in the Dockerfile and recorded in the image history",
	"label": "LABEL %q holds a literal value; labels are public image metadata",
}

# --- secret-looking names -------------------------------------------------

# secret_name: the key, normalised to upper case with _ separators, ends with
# a credential word: DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY...
# Names that merely mention one (PASSWORD_FILE, TOKEN_URL, AWS_ACCESS_KEY_ID,
# GPG_KEY) do not match.
secret_name(key) if {
	n := upper(regex.replace(key, `[^A-Za-z0-9]+`, "_"))
	regex.match(`(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS|_PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY(_BASE)?|CREDENTIALS?|AUTH_?KEY)$`, n)
}

# has_ref: the value uses a variable ($X, ${X}, ${X:-default}).
has_ref(v) if regex.match(`\$(\{[A-Za-z_]|[A-Za-z_])`, v)

# A file path such as /run/secrets/db, ./key.json or ${HOME}/.token.
path(v) if regex.match(`^(/|\./|~/|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/)`, v)

# literal: a value written out that can hold a secret: not empty, without
# variables, not a flag such as true/yes/1, not a file path.
literal(v) if {
	v != ""
	not has_ref(v)
	not lower(v) in {"true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil"}
	not path(v)
}

# ARG/ENV/LABEL instructions, global ARGs included.
key_value_commands contains c if {
	some c in docker.commands
	c.cmd in {"arg", "env", "label"}
}

key_value_commands contains c if {
	some c in object.get(input, "args", [])
	c.cmd == "arg"
}

# --- ARG/ENV/LABEL arguments -----------------------------------------------

values(c) := v if {
	is_array(c.value)
	v := c.value
} else := [c.value] if {
	is_string(c.value)
} else := []

# kv_pairs reads ARG/ENV/LABEL arguments given as flattened pairs
# ["K", "V", ...], as buildkit's (key, value, separator) triplets, or as
# "K=V" / "K" words (buildkit's raw ARG arguments).
kv_pairs(c) := [word_pair(w) | some w in values(c)] if {
	arg_words(c)
} else := [{"key": unquote(v[3 * k]), "value": unquote(v[(3 * k) + 1]), "set": true} |
	some k in numbers.range(0, (count(v) / 3) - 1)
] if {
	v := values(c)
	count(v) >= 3
	count(v) % 3 == 0
	not contains(v[0], "=")
	every k in numbers.range(0, (count(v) / 3) - 1) {
		v[(3 * k) + 2] in {"=", "", " "}
	}
} else := [{"key": unquote(v[2 * k]), "value": unquote(v[(2 * k) + 1]), "set": true} |
	some k in numbers.range(0, (count(v) / 2) - 1)
] if {
	v := values(c)
	count(v) >= 2
	count(v) % 2 == 0
	not contains(v[0], "=")
} else := [word_pair(w) | some w in values(c)]

# ARG arguments given as buildkit's raw words, one per word of the line:
# ARG A B=1 -> ["A", "B=1"].
arg_words(c) if {
	c.cmd == "arg"
	ws := [w | some w in regex.split(`\s+`, trim_space(c.original)); w != ""]
	count(ws) - 1 == count(values(c))
}

word_pair(w) := {"key": unquote(substring(w, 0, i)), "value": unquote(substring(w, i + 1, -1)), "set": true} if {
	i := indexof(w, "=")
	i > 0
} else := {"key": unquote(w), "value": "", "set": false}

unquote(s) := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	q := substring(s, 0, 1)
	q in {`"`, "'"}
	endswith(s, q)
} else := s
