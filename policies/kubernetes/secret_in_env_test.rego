package rampart.kubernetes.secret_in_env_test

import data.rampart.kubernetes.secret_in_env as policy

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": spec}},
}

fields(obj) := f if {
	f := {r.field | some r in policy.deny} with input as obj
}

messages(obj) := m if {
	m := {r.msg | some r in policy.deny} with input as obj
}

env_pod(name, value) := pod({"containers": [{"name": "app", "env": [{"name": name, "value": value}]}]})

flagged(name) if count(fields(env_pod(name, "s3cr3t-value"))) == 1

test_password_literal if {
	spec := {"containers": [{"name": "app", "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "value": "hunter2"}]}]}
	fields(deployment(spec)) == {"spec.template.spec.containers[0].env[1].value"}
	messages(deployment(spec)) == {`Deployment "web": container "app" sets DB_PASSWORD to a literal value in the manifest`}
}

test_flagged_names if {
	flagged("PASSWORD")
	flagged("POSTGRES_PASSWORD")
	flagged("REDIS_PASS")
	flagged("MYSQL_ROOT_PASSWD")
	flagged("DB_PWD")
	flagged("JWT_SECRET")
	flagged("CLIENT_SECRET")
	flagged("AWS_SECRET_ACCESS_KEY")
	flagged("AWS_ACCESS_KEY")
	flagged("GITHUB_TOKEN")
	flagged("SLACK_BOT_TOKEN")
	flagged("API_KEY")
	flagged("STRIPE_APIKEY")
	flagged("sendgrid-api-key")
	flagged("apiKey")
	flagged("dbPassword")
	flagged("PRIVATE_KEY")
	flagged("TLS_PRIVATE_KEY")
	flagged("GCP_CREDENTIALS")
	flagged("SERVICE_CREDENTIAL")
	flagged("ENCRYPTION_KEY")
	flagged("SECRET_KEY_BASE")
	flagged("PGPASSWORD")
	flagged("SLACKTOKEN")
	flagged("OAUTH_CLIENTSECRET")
}

test_benign_names if {
	not flagged("PWD")
	not flagged("TOKENIZERS_PARALLELISM")
	not flagged("PASSWORD_FILE")
	not flagged("DB_PASSWORD_FILE")
	not flagged("SECRET_NAME")
	not flagged("TOKEN_URL")
	not flagged("OAUTH_TOKEN_ENDPOINT")
	not flagged("AWS_ACCESS_KEY_ID")
	not flagged("TOKEN_TTL")
	not flagged("VAULT_SECRET_PATH")
	not flagged("PASSPORT_STRATEGY")
	not flagged("KEYCLOAK_REALM")
	not flagged("CACHE_KEY")
	not flagged("SECRETARY_EMAIL")
	not flagged("DB_USER")
}

test_value_from_passes if {
	spec := {"containers": [{"name": "app", "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}
	count(fields(pod(spec))) == 0
}

test_empty_and_placeholder_values_pass if {
	count(fields(env_pod("DB_PASSWORD", ""))) == 0
	count(fields(env_pod("DB_PASSWORD", "  "))) == 0
	count(fields(env_pod("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"))) == 0
	count(fields(env_pod("DB_PASSWORD", "${DB_PASSWORD}"))) == 0
	count(fields(env_pod("REQUIRE_TOKEN", "true"))) == 0
}

test_value_with_reference_inside_is_flagged if {
	count(fields(env_pod("DATABASE_PASSWORD", "prefix-$(SUFFIX)"))) == 1
}

test_all_container_types if {
	env := [{"name": "API_TOKEN", "value": "abc"}]
	spec := {"initContainers": [{"name": "init", "env": env}], "containers": [{"name": "app", "env": env}], "ephemeralContainers": [{"name": "debug", "env": env}]}
	fields(pod(spec)) == {"spec.initContainers[0].env[0].value", "spec.containers[0].env[0].value", "spec.ephemeralContainers[0].env[0].value"}
}

test_non_string_values_ignored if {
	spec := {"containers": [{"name": "app", "env": [{"name": "TOKEN", "value": 12345}]}]}
	count(fields(pod(spec))) == 0
}
