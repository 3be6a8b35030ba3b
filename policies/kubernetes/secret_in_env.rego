# METADATA
# title: Secret value hard-coded in an environment variable
# description: An environment variable whose name looks like a credential (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, ACCESS_KEY, CREDENTIAL...) has a literal value in the manifest. The secret then lives in Git, in every copy of the manifest, in the object stored by the API server (readable by anyone who can get the workload) and in kubectl describe output. Names that describe a secret rather than hold one (..._FILE, ..._PATH, ..._NAME, ..._URL, ..._ID...) and values that only reference another variable ($(VAR), ${VAR}) are not flagged.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/secret/
#   - ref: https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/
# custom:
#   id: k8s-secret-in-env
#   severity: high
#   layer: cluster
#   kinds: [workload]
#   controls:
#     - cis-k8s-1.10:5.4.1
#     - nsa-k8s:secrets
#   remediation: Rotate the exposed credential, store it in a Secret (or an external secret manager) and mount it as a file, or at least reference it with env[].valueFrom.secretKeyRef instead of a literal value.
package rampart.kubernetes.secret_in_env

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	some i, env in c.container.env
	value := env.value
	is_string(value)
	name := env.name
	is_string(name)
	regex.match(hint_prefilter, name) # cheap first cut: most variables fail here, before the call below
	secret_name(name)
	trim_space(value) != ""
	not placeholder(value)
	res := {
		"msg": sprintf("%s %q: %s %q sets %s to a literal value in the manifest", [input.kind, k8s.name, c.label, c.name, name]),
		"field": sprintf("%s.env[%d].value", [c.path, i]),
	}
}

# Words that make a variable a credential on their own.
secret_words := {
	"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS",
	"CREDENTIAL", "CREDENTIALS", "CREDS", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY",
}

# Run-together names such as PGPASSWORD, AUTHTOKEN or CLIENTSECRET.
secret_endings := ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY"]

# Words that make "..._KEY" a credential.
key_prefixes := {"API", "PRIVATE", "ACCESS", "AUTH", "SIGNING", "ENCRYPTION", "MASTER", "CLIENT", "SSH", "LICENSE"}

# Final words naming something about the secret rather than the secret itself.
benign_suffixes := {
	"FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "NAME", "REF", "ID", "HEADER",
	"TTL", "TIMEOUT", "EXPIRY", "EXPIRATION", "EXPIRES", "LENGTH", "ENABLED", "DISABLED", "ENABLE",
	"TYPE", "MODE", "VERSION", "REGION", "KIND", "FORMAT", "LOCATION", "PREFIX", "FIELD", "ISSUER",
	"AUDIENCE", "SCOPE", "SCOPES", "POLICY", "ALGORITHM", "ROTATION", "REFRESH", "COUNT", "LIMIT",
	"USER", "USERNAME",
}

# words splits MY_API_KEY, my-api.key or myApiKey into upper-case words.
words(name) := [upper(w) | some w in regex.split(`[^A-Za-z0-9]+`, regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}")); w != ""]

# Cheap pre-filter: every credential name contains one of these.
hint_pattern := `PASS|PWD|SECRET|TOKEN|KEY|CRED`

# hint_pattern without upper(): matches every name whose upper case matches hint_pattern (and a few more,
# such as the Kelvin sign for K, which secret_name then rejects).
hint_prefilter := `(?i)PASS|PWD|SECRET|TOKEN|KEY|CRED`

secret_name(name) if {
	regex.match(hint_pattern, upper(name))
	ws := words(name)
	not benign_suffixes[ws[count(ws) - 1]]
	credential(ws)
}

credential(ws) if {
	some w in ws
	secret_words[w]
}

credential(ws) if {
	some w in ws
	some ending in secret_endings
	endswith(w, ending)
}

credential(ws) if {
	some i, w in ws
	w == "KEY"
	key_prefixes[ws[i - 1]]
}

# PWD alone is the shell's working directory; DB_PWD is a password.
credential(ws) if {
	count(ws) > 1
	"PWD" in ws
}

# References to other variables ($(VAR) is expanded by the kubelet, ${VAR} is an
# unrendered template) and booleans are not secrets.
placeholder(value) if regex.match(`^\s*\$\([A-Za-z_][A-Za-z0-9_.-]*\)\s*$`, value)

placeholder(value) if regex.match(`^\s*\$\{[^}]+\}\s*$`, value)

placeholder(value) if lower(trim_space(value)) in {"true", "false", "yes", "no"}
