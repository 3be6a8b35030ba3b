# METADATA
# title: ADD downloads remote content without a checksum
# description: |
#   ADD <url> and ADD <git repository> fetch content at build time and put it
#   in the image without checking it: whatever the server returns, a replaced
#   release asset, a moved tag or a compromised host, ships in the image, and
#   builds are not reproducible. Reported for an http(s) URL without
#   --checksum, and for a git source without --checksum whose ref (#...) is
#   not a full commit id.
# related_resources:
#   - ref: https://docs.docker.com/reference/dockerfile/#add---checksum
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-add-remote-unverified
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.9
#   remediation: Pin the content, for example ADD --checksum=sha256:<hash> https://example.com/tool.tar.gz /tmp/, or for git ADD https://github.com/org/repo.git#<commit-sha> /src; alternatively download with curl and verify with sha256sum -c in the same RUN.
package rampart.dockerfile.add_remote_unverified

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "add"
	not has_checksum(c)
	v := docker.values(c)
	some s in array.slice(v, 0, count(v) - 1)
	msg := problem(s)
	res := docker.result(sprintf("ADD %s", [msg]), c)
}

problem(s) := sprintf("downloads %s without --checksum", [s]) if {
	regex.match(`(?i)^https?://`, s)
	not git(s)
}

problem(s) := sprintf("clones %s without pinning a commit or a --checksum", [s]) if {
	git(s)
	not regex.match(`#[0-9a-fA-F]{40}([0-9a-fA-F]{24})?(:.*)?$`, s)
}

git(s) if regex.match(`^(git@|git://|ssh://)|\.git(#.*)?$`, s)

has_checksum(c) if {
	some f in object.get(c, "flags", [])
	startswith(f, "--checksum")
}
