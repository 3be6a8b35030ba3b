# METADATA
# title: Image tag latest or missing
# description: An image without a tag means ":latest", and ":latest" moves. The node runs whatever the registry serves at pull time, so two replicas can run different code, a rollback does not roll back, and a compromised or careless push reaches production unreviewed. Pin a version tag, or better a digest (image@sha256:...), which passes this check. All containers are checked, including init and ephemeral ones.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/images/#image-names
#   - ref: https://kubernetes.io/docs/concepts/configuration/overview/#container-images
# custom:
#   id: k8s-image-latest
#   severity: medium
#   layer: cluster
#   kinds: [workload]
#   controls: []
#   remediation: Reference the image by an immutable version tag (app:1.4.2) or, better, by digest (app@sha256:<digest>, optionally app:1.4.2@sha256:<digest>) and update it deliberately through your release process.
package rampart.kubernetes.image_latest

import data.lib.kubernetes as k8s

deny contains res if {
	some c in k8s.containers
	image := c.container.image
	is_string(image)
	trimmed := trim_space(image)
	trimmed != ""
	problem := tag_problems[regex.find_all_string_submatch_n(tag_pattern, trimmed, 1)[0][1]]
	res := {
		"msg": sprintf("%s %q: %s %q uses image %q %s", [input.kind, k8s.name, c.label, c.name, image, problem]),
		"field": concat(".", [c.path, "image"]),
	}
}

tag_problems := {
	"": "without a tag (resolves to latest)",
	"latest": "with the mutable tag latest",
}

# The tag is what follows the first ":" in the last path component ("" when there is none),
# so a registry port (registry:5000/app) is not mistaken for a tag: capture group 1 of this
# pattern. It does not match images with a digest ("@"), which are pinned and pass. One regex
# call is cheaper than splitting the image by hand.
tag_pattern := `(?s)^(?:[^@]*/)?[^:@]*:?([^@]*)$`
