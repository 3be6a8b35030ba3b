# METADATA
# title: Package manager cache left in the image
# description: |
#   Package indexes and download caches left in a layer make the image bigger
#   and slower to pull and scan, and keep files nobody maintains. Reported, per
#   RUN of the final stage and the stages it is built FROM (builder stages are
#   discarded and may keep caches): apt-get/apt/aptitude update and install
#   without removing /var/lib/apt/lists in the same RUN (a RUN that installs
#   without refreshing the index adds no index of its own); apk add/upgrade
#   without --no-cache (or removing /var/cache/apk); yum/dnf/microdnf/tdnf installs
#   without "clean all" (or removing /var/cache/yum or /var/cache/dnf); pip
#   install without --no-cache-dir (or PIP_NO_CACHE_DIR set by ENV/ARG, or a
#   purge of the pip cache). A RUN --mount=type=cache (or tmpfs) over the
#   manager's cache directory keeps the cache out of the layer and is accepted.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#apt-get
#   - ref: https://docs.docker.com/build/cache/optimize/#use-cache-mounts
# custom:
#   id: dockerfile-package-cache
#   severity: low
#   layer: container
#   kinds: [Dockerfile]
#   controls: []
#   remediation: Clean up in the same RUN that installs (apt-get install ... && rm -rf /var/lib/apt/lists/*, apk add --no-cache, dnf install ... && dnf clean all, pip install --no-cache-dir), or mount the cache directory with RUN --mount=type=cache,target=<dir> so it never lands in the layer.
package rampart.dockerfile.package_cache

import data.lib.dockerfile as docker

deny contains res if {
	some i in docker.final_chain
	some c in input.stages[i].commands
	c.cmd == "run"
	text := docker.run_text(c)
	calls := docker.pm_calls(c)
	leaks := {[call.family, call.tool] |
		some call in calls
		installs(call, calls)
		not cleaned(call, c, text)
	}
	some [family, tool] in leaks
	res := docker.result(sprintf(messages[family], [tool]), c)
}

messages := {
	"apt": "RUN installs packages with %s but does not remove /var/lib/apt/lists/* in the same instruction; the package index stays in the image layer",
	"apk": "RUN installs packages with %s without --no-cache; the downloaded package index stays in the image layer",
	"yum": "RUN installs packages with %s but does not run \"clean all\" in the same instruction; repository metadata and cached packages stay in the image layer",
	"pip": "RUN runs \"%s install\" without --no-cache-dir; downloaded packages stay in the pip cache in the image layer",
}

# apt: the index comes from "apt-get update"; an install in a RUN that does
# not refresh it adds no index of its own (Debian and Ubuntu images already
# delete downloaded .deb files).
installs(call, calls) if {
	call.family == "apt"
	call.sub in {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall"}
	some x in calls
	x.family == "apt"
	x.sub == "update"
}

installs(call, _) if {
	call.family == "apk"
	call.sub in {"add", "upgrade"}
}

installs(call, _) if {
	call.family == "yum"
	call.sub in {"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade"}
}

installs(call, _) if {
	call.family == "pip"
	call.sub == "install"
}

cleaned(call, c, _) if cache_mounted(c, call.family)

cleaned(call, _, text) if {
	call.family == "apt"
	contains(text, "/var/lib/apt/lists")
}

cleaned(call, _, _) if {
	call.family == "apk"
	"--no-cache" in call.args
}

cleaned(call, _, text) if {
	call.family == "apk"
	regex.match(`/var/cache/apk|(^|[^A-Za-z0-9_.-])apk\s+cache\s+(clean|purge)`, text)
}

cleaned(call, _, text) if {
	call.family == "yum"
	regex.match(`(^|[^A-Za-z0-9_.-])(yum|dnf|microdnf|tdnf)\s[^;&|\n]*\bclean\s+all\b|/var/cache/(yum|dnf|libdnf5)`, text)
}

cleaned(call, _, _) if {
	call.family == "pip"
	some a in call.args
	startswith(a, "--no-cache-dir")
}

cleaned(call, _, text) if {
	call.family == "pip"
	regex.match(`PIP_NO_CACHE_DIR=|\.cache/pip|pip[0-9.]*\s+cache\s+purge`, text)
}

cleaned(call, _, _) if {
	call.family == "pip"
	some i in docker.final_chain
	some x in input.stages[i].commands
	x.cmd in {"env", "arg"}
	some p in docker.kv_pairs(x)
	p.key == "PIP_NO_CACHE_DIR"
	p.value != ""
}

cleaned(call, _, _) if {
	call.family == "pip"
	some x in object.get(input, "args", [])
	some p in docker.kv_pairs(x)
	p.key == "PIP_NO_CACHE_DIR"
	p.value != ""
}

# RUN --mount=type=cache (or tmpfs) over the manager's cache directory.
cache_mounted(c, family) if {
	some f in object.get(c, "flags", [])
	startswith(f, "--mount=")
	opts := split(substring(f, count("--mount="), -1), ",")
	some kind in opts
	kind in {"type=cache", "type=tmpfs"}
	some o in opts
	parts := split(o, "=")
	parts[0] in {"target", "dst", "destination"}
	covers(parts[1], family)
}

covers(target, "apt") if regex.match(`^/var/(lib|cache)/apt`, target)

covers(target, "apk") if regex.match(`^(/var/cache/apk|/etc/apk/cache)`, target)

covers(target, "yum") if regex.match(`^/var/cache/(yum|dnf|libdnf5)`, target)

covers(target, "pip") if regex.match(`\.cache|pip`, target)
