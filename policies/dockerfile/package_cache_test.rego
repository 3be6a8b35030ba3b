package rampart.dockerfile.package_cache_test

import data.rampart.dockerfile.package_cache

runs(cmds) := dockerfile([stage(0, "", "debian:12", 1, [ins("run", i + 2, [c]) | some i, c in cmds])])

test_caches_left_fail if {
	findings := package_cache.deny with input as runs([
		"apt-get update && apt-get install -y curl",
		"apt-get update && apt-get install -y curl && apt-get clean",
		"apk add curl",
		"apk --update add curl",
		"dnf install -y git",
		"yum -y install git && yum clean packages",
		"pip install flask",
		"python3 -m pip install --upgrade pip",
		"/opt/venv/bin/pip3 install -r requirements.txt",
		"microdnf install -y shadow-utils",
	])
	lines(findings) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
}

test_cleaned_pass if {
	count(package_cache.deny) == 0 with input as runs([
		"apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
		"apk add --no-cache curl",
		"apk --no-cache add curl",
		"apk add curl && rm -rf /var/cache/apk/*",
		"dnf install -y git && dnf clean all",
		"microdnf install -y x && microdnf clean all",
		"yum install -y git && rm -rf /var/cache/yum",
		"pip install --no-cache-dir flask",
		"PIP_NO_CACHE_DIR=1 pip install flask",
		"pip install flask && rm -rf /root/.cache/pip",
		"uv pip install flask",
		"apt-get update",
		"pip download flask",
		"apt-get install -y ./app.deb", # no index refresh in this RUN: nothing of its own to remove
	])
}

test_cache_mounts_pass if {
	count(package_cache.deny) == 0 with input as dockerfile([stage(0, "", "debian:12", 1, [
		with_flags(ins("run", 2, ["apt-get update && apt-get install -y gcc"]), [
			"--mount=type=cache,target=/var/cache/apt,sharing=locked",
			"--mount=type=cache,target=/var/lib/apt,sharing=locked",
		]),
		with_flags(ins("run", 3, ["pip install -r requirements.txt"]), ["--mount=type=cache,target=/root/.cache/pip"]),
		with_flags(ins("run", 4, ["apk add gcc"]), ["--mount=type=cache,id=apk,target=/var/cache/apk"]),
		with_flags(ins("run", 5, ["dnf install -y gcc"]), ["--mount=type=cache,dst=/var/cache/dnf"]),
	])])
}

test_bind_mount_is_not_a_cache if {
	findings := package_cache.deny with input as dockerfile([stage(0, "", "debian:12", 1, [with_flags(
		ins("run", 2, ["pip install -r /src/requirements.txt"]),
		["--mount=type=bind,source=.,target=/src/pip"],
	)])])
	lines(findings) == {2}
}

test_pip_no_cache_dir_env if {
	count(package_cache.deny) == 0 with input as dockerfile([
		stage(0, "base", "python:3.12-slim", 1, [ins("env", 2, ["PIP_NO_CACHE_DIR", "1", "PYTHONUNBUFFERED", "1"])]),
		stage(1, "", "base", 3, [ins("run", 4, ["pip install flask"])]),
	])
	count(package_cache.deny) == 0 with input as {
		"args": [ins("arg", 1, ["PIP_NO_CACHE_DIR=off"])],
		"stages": [stage(0, "", "python:3.12-slim", 2, [ins("run", 3, ["pip install flask"])])],
	}
}

test_builder_stages_ignored if {
	findings := package_cache.deny with input as dockerfile([
		stage(0, "build", "python:3.12", 1, [
			ins("run", 2, ["apt-get update && apt-get install -y gcc"]),
			ins("run", 3, ["pip install --prefix=/install -r requirements.txt"]),
		]),
		stage(1, "", "python:3.12-slim", 4, [ins("run", 5, ["apt-get update && apt-get install -y libpq5"])]),
	])
	lines(findings) == {5}
}

test_one_finding_per_manager if {
	findings := package_cache.deny with input as runs(["apt-get update && apt-get install -y python3-pip && apt-get install -y git && pip install x"])
	count(findings) == 2
}

test_heredoc if {
	findings := package_cache.deny with input as dockerfile([stage(0, "", "debian:12", 1, [
		object.union(ins("run", 2, ["<<EOF"]), {"end_line": 5, "heredocs": ["apt-get update\napt-get install -y curl\nrm -rf /var/lib/apt/lists/*\n"]}),
		object.union(ins("run", 6, ["<<EOF"]), {"end_line": 8, "heredocs": ["apt-get update\napt-get install -y curl\n"]}),
	])])
	lines(findings) == {6}
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
