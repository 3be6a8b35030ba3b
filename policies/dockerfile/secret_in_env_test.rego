package rampart.dockerfile.secret_in_env_test

import data.rampart.dockerfile.secret_in_env

env(line, value) := ins("env", line, value)

test_literal_secrets_fail if {
	findings := secret_in_env.deny with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		env(2, ["DB_PASSWORD", "hunter2", "APP_NAME", "shop"]), # pairs
		env(3, ["API_KEY=sk-live-123"]), # K=V words
		env(4, ["AWS_SECRET_ACCESS_KEY", "abc/def", "="]), # buildkit triplets
		env(5, ["GITHUB_TOKEN", "\"ghp_abc\""]),
		env(6, ["client-secret", "s3cr3t"]),
		env(7, ["SECRET_KEY_BASE", "deadbeef"]),
		env(8, ["MYSQL_ROOT_PASSWORD", "changeme"]),
		env(9, ["SMTP_PASS", "x"]),
		env(10, ["GOOGLE_CREDENTIALS", "{\"type\":\"service_account\"}"]),
		env(11, ["SSH_PRIVATE_KEY", "-----BEGIN"]),
		ins("label", 12, ["com.example.api-token", "xyz"]),
		ins("arg", 13, ["NPM_TOKEN=npm_abc"]),
		with_original(ins("arg", 14, ["REGISTRY_PASSWORD", "pw"]), "ARG REGISTRY_PASSWORD=pw"),
		ins("arg", 15, ["VERSION", "HF_TOKEN=hf_abc"]), # raw words
	])])
	lines(findings) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
}

test_global_arg if {
	findings := secret_in_env.deny with input as {
		"args": [ins("arg", 1, ["GITHUB_TOKEN=ghp_abc"])],
		"stages": [stage(0, "", "alpine:3.20", 2, [])],
	}
	lines(findings) == {1}
}

test_non_secret_values_pass if {
	count(secret_in_env.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		env(2, ["API_KEY", "\"\""]),
		env(3, ["MYSQL_ALLOW_EMPTY_PASSWORD", "yes"]),
		env(4, ["MYSQL_RANDOM_ROOT_PASSWORD", "1"]),
		env(5, ["NODE_AUTH_TOKEN", "${NPM_TOKEN}"]),
		env(6, ["DB_PASSWORD", "$DB_PASSWORD"]),
		env(7, ["VAULT_TOKEN", "/run/secrets/vault-token"]),
		env(8, ["GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json"]),
		env(9, ["CONFIG_TOKEN", "${HOME}/.token"]),
		ins("arg", 10, ["NPM_TOKEN"]),
		ins("arg", 11, ["API_TOKEN="]),
	])])
}

test_non_secret_names_pass if {
	count(secret_in_env.deny) == 0 with input as dockerfile([stage(0, "", "alpine:3.20", 1, [
		env(2, ["POSTGRES_PASSWORD_FILE", "/run/secrets/pg"]),
		env(3, ["GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D"]),
		env(4, ["AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"]),
		env(5, ["TOKEN_URL", "https://auth.example.com/token"]),
		env(6, ["PASSWORD_MIN_LENGTH", "12"]),
		env(7, ["PWD", "/app"]),
		env(8, ["BYPASS", "x"]),
		ins("label", 9, ["org.opencontainers.image.title", "app"]),
		env(10, ["KEYCLOAK_ADMIN", "admin"]),
	])])
}

# --- test input helpers -----------------------------------------------------

ins(kind, line, value) := {
	"cmd": kind,
	"value": value,
	"flags": [],
	"original": concat(" ", array.concat([upper(kind)], value)),
	"json": false,
	"start_line": line,
	"end_line": line,
}

with_flags(c, flags) := object.union(c, {"flags": flags, "original": concat(" ", array.concat(array.concat([upper(c.cmd)], flags), c.value))})

with_original(c, original) := object.union(c, {"original": original})

stage(i, name, base, line, cmds) := {
	"index": i,
	"name": name,
	"base": base,
	"platform": "",
	"start_line": line,
	"commands": array.concat([from_cmd(base, name, line)], cmds),
}

from_cmd(base, "", line) := ins("from", line, [base])

from_cmd(base, name, line) := ins("from", line, [base, "AS", name]) if name != ""

dockerfile(stages) := {"stages": stages, "args": []}

lines(findings) := {r.start_line | some r in findings}
