# METADATA
# title: Base image not pinned
# description: |
#   A FROM image without a tag, or with the mutable "latest" tag, and without a
#   digest changes under your feet: each build may pull a different image, with
#   different packages and vulnerabilities, and a compromised or replaced
#   upstream image flows straight into yours. Every stage is checked, since
#   builder stages produce what the final image ships. "scratch", references to
#   earlier stages and images named by build arguments without a default are
#   skipped; ${VAR}, $VAR and ${VAR:-default} are expanded from the global ARG
#   defaults before the check.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#pin-base-image-versions
#   - ref: https://www.cisecurity.org/benchmark/docker
# custom:
#   id: dockerfile-unpinned-base
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.2
#   remediation: Pin the base image to a specific version tag and preferably to a digest, for example FROM alpine:3.20@sha256:<digest>, and update it deliberately (Renovate and Dependabot can bump pinned digests).
package rampart.dockerfile.unpinned_base

import data.lib.dockerfile as docker

deny contains res if {
	some i, stage in input.stages
	not docker.parent(i)
	ref := docker.resolve(stage.base, docker.global_vars)
	not lower(ref) in stage_names(i)
	lower(ref) != "scratch"
	not contains(ref, "@")
	problem := unpinned(docker.tag(ref))
	res := docker.result(
		sprintf("%s base image %s %s", [stage_label(i), shown(stage.base, ref), problem]),
		docker.from_command(i),
	)
}

unpinned("") := "has no tag or digest, so it means whatever \"latest\" is at build time"

unpinned("latest") := "uses the mutable \"latest\" tag and no digest"

shown(base, ref) := sprintf("%q", [base]) if base == ref

shown(base, ref) := sprintf("%q (resolves to %q)", [base, ref]) if base != ref

stage_label(i) := sprintf("stage %q:", [input.stages[i].name]) if {
	object.get(input.stages[i], "name", "") != ""
} else := sprintf("stage %d:", [i])

stage_names(i) := {lower(s.name) |
	some j, s in input.stages
	j < i
	object.get(s, "name", "") != ""
}
