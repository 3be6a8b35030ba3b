# METADATA
# title: Package index refreshed without installing
# description: |
#   A RUN that only refreshes the package index (apt-get update, apt update,
#   apk update, yum/dnf makecache, zypper refresh) is cached as its own layer.
#   Later builds reuse that layer while the RUN that installs packages changes,
#   so packages are installed from a stale index: old versions with known
#   vulnerabilities, or 404 errors once mirrors drop them. The refresh belongs
#   in the same RUN as the install. A RUN that also calls a shell script (*.sh)
#   is not reported, since the script may do the install.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#apt-get
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-update-alone
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.7
#   remediation: Refresh and install in one RUN, for example RUN apt-get update && apt-get install -y --no-install-recommends <packages> && rm -rf /var/lib/apt/lists/*, or use apk add --no-cache which needs no separate apk update.
package rampart.dockerfile.update_alone

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "run"
	text := docker.run_text(c)
	some call in docker.pm_calls(c)
	refresh(call)
	not regex.match(consumers[call.family], text)
	not runs_script(text)
	res := docker.result(
		sprintf("RUN refreshes the package index with \"%s %s\" but installs nothing in the same instruction; a later build can reuse this cached layer and install from a stale index", [call.tool, call.sub]),
		c,
	)
}

refresh(call) if {
	call.family in {"apt", "apk"}
	call.sub == "update"
}

refresh(call) if {
	call.family == "yum"
	call.sub == "makecache"
}

refresh(call) if {
	call.family == "zypper"
	call.sub in {"refresh", "ref"}
}

# A package manager of the same family that installs or upgrades something.
consumers := {
	"apt": `(^|[^A-Za-z0-9_.-])(apt-get|apt|aptitude)\s[^;&|\n]*\b(install|upgrade|dist-upgrade|full-upgrade|build-dep|reinstall|satisfy|source)\b`,
	"apk": `(^|[^A-Za-z0-9_.-])apk\s[^;&|\n]*\b(add|upgrade|fix)\b`,
	"yum": `(^|[^A-Za-z0-9_.-])(yum|dnf|microdnf|tdnf)\s[^;&|\n]*\b(install|groupinstall|localinstall|reinstall|upgrade|update|distro-sync|builddep)\b`,
	"zypper": `(^|[^A-Za-z0-9_.-])zypper\s[^;&|\n]*\b(install|in|update|up|dist-upgrade|dup|patch|source-install|si)\b`,
}

runs_script(text) if {
	some seg in docker.segments(text)
	endswith(docker.command(seg)[0], ".sh")
}
