# METADATA
# title: ADD used where COPY would do
# description: |
#   ADD fetches URLs, clones git repositories and silently unpacks local tar
#   archives; COPY only copies. Using ADD for plain local files invites those
#   side effects the day a source turns out to be an archive or a URL, and
#   hides intent from reviewers. Reported when every source of an ADD is a
#   local path that is not a tar archive (.tar, .tar.gz, .tgz, .tar.bz2,
#   .tar.xz, .tar.zst...) and the ADD uses no ADD-only flag (--checksum,
#   --keep-git-dir, --unpack). Sources written with variables are skipped, as
#   they may be URLs. Remote ADD without a checksum is the separate rule
#   dockerfile-add-remote-unverified.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#add-or-copy
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-add-instead-of-copy
#   severity: low
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.9
#   remediation: Replace ADD with COPY for local files and directories (COPY supports the same --chown, --chmod, --link and --exclude flags); keep ADD only to unpack a local tar archive on purpose or to fetch a remote file with --checksum.
package rampart.dockerfile.add_instead_of_copy

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "add"
	v := docker.values(c)
	count(v) >= 2
	sources := array.slice(v, 0, count(v) - 1)
	every s in sources {
		local_file(s)
	}
	not add_only_flag(c)
	shown := [x | some s in sources; x := display(s)]
	res := docker.result(sprintf("ADD copies local files (%s); use COPY", [concat(", ", shown)]), c)
}

local_file(s) if {
	not contains(s, "$")
	not regex.match(`^[A-Za-z][A-Za-z0-9+.-]*://|^git@|\.git(#.*)?$`, s)
	not regex.match(`(?i)\.(tar|tar\.(gz|bz2|xz|zst|lz4|lzma|z)|tgz|tbz2?|txz|tzst|tlz)$`, s)
}

display(s) := "an inline heredoc" if startswith(s, "<<")

display(s) := s if not startswith(s, "<<")

add_only_flag(c) if {
	some f in object.get(c, "flags", [])
	some prefix in {"--checksum", "--keep-git-dir", "--unpack"}
	startswith(f, prefix)
}
