# METADATA
# title: Remote script piped to a shell
# description: |
#   curl or wget output piped straight into a shell (curl ... | sh, wget -qO-
#   ... | bash, bash <(curl ...), sh -c "$(curl ...)") runs whatever the server
#   returns at that moment, as the build user (usually root), with no pinning
#   and no integrity check: a compromised or hijacked download host, or a
#   changed installer, goes straight into the image, and the build is not
#   reproducible. A pipe into python, perl, ruby, node or php counts when the
#   interpreter reads its program from the pipe (no arguments, or a lone "-");
#   pipes into "python -c ...", jq and the like parse data and are not
#   reported.
# related_resources:
#   - ref: https://docs.docker.com/build/building/best-practices/#using-pipes
# custom:
#   id: dockerfile-curl-pipe-shell
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls: []
#   remediation: Download the script or binary to a file, verify it against a pinned checksum or signature (for example ADD --checksum=sha256:<hash> <url> /tmp/install.sh, or curl -o f <url> && echo "<sha256>  f" | sha256sum -c -), then run it; better, install a pinned release artifact or an OS package.
package rampart.dockerfile.curl_pipe_shell

import data.lib.dockerfile as docker

deny contains res if {
	some c in docker.commands
	c.cmd == "run"
	text := replace(docker.run_text(c), "\\\n", " ")
	some name, pattern in patterns
	m := regex.find_n(pattern, text, 1)[0]
	res := docker.result(sprintf("RUN pipes a downloaded script into a shell (%s): %q", [name, trim_space(m)]), c)
}

# Shells that execute what they read.
shell := `(sudo\s+(-\S+\s+)*)?(env\s+)?(/usr/local/bin/|/usr/bin/|/bin/)?(ba|da|z|k|a)?sh`

downloader := `(curl|wget)`

# Interpreters that run a program read from standard input.
interpreter := `(sudo\s+(-\S+\s+)*)?(env\s+)?(/usr/local/bin/|/usr/bin/|/bin/)?(python[0-9.]*|perl|ruby|node|php)`

patterns := {
	"pipe": concat("", [`(^|[^A-Za-z0-9_.-])`, downloader, `\s([^|;&\n]|&[^&\n])*\|\s*`, shell, `(\s|$|["');&)])`]),
	"pipe to interpreter": concat("", [`(^|[^A-Za-z0-9_.-])`, downloader, `\s([^|;&\n]|&[^&\n])*\|\s*`, interpreter, `\s*($|[;&|)\n]|-(\s|$))`]),
	"process substitution": concat("", [`(^|[^A-Za-z0-9_.-])`, shell, `\s+(-\S+\s+)*<\(\s*`, downloader, `\s`]),
	"command substitution": concat("", [`(^|[^A-Za-z0-9_.-])`, `((`, shell, `)\s+(-\S+\s+)*-c|eval)\s+["']?\$\(\s*`, downloader, `\s`]),
}
