# METADATA
# title: setuid or setgid bit added
# description: |
#   A setuid (or setgid) executable runs with its owner's (group's) privileges
#   whoever starts it, so a bug in it lets an unprivileged container process
#   become root; images should remove such bits, not add them. A Dockerfile
#   cannot show which setuid binaries the base image already holds, so this
#   rule reports the bits the Dockerfile itself adds: chmod and install -m in
#   RUN, and COPY/ADD --chmod, with a symbolic mode that adds "s" (u+s, +s,
#   g+s...) or an octal mode with the 4000 or 2000 bit (4755, 2755, 6755...).
#   The setgid bit is only reported on files in bin, sbin or libexec
#   directories, since on a directory it just makes new files inherit the
#   group, a common and harmless setup for shared directories.
# related_resources:
#   - ref: https://www.cisecurity.org/benchmark/docker
#   - ref: https://man7.org/linux/man-pages/man2/execve.2.html
# custom:
#   id: dockerfile-setuid
#   severity: medium
#   layer: container
#   kinds: [Dockerfile]
#   controls:
#     - cis-docker-1.6:4.8
#   remediation: Do not add setuid/setgid bits; run the binary as a user that already has the needed rights or grant a single file capability (setcap). Consider removing existing ones too, for example RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true.
package rampart.dockerfile.setuid

import data.lib.dockerfile as docker

# chmod and install -m in RUN.
deny contains res if {
	some c in docker.commands
	c.cmd == "run"
	some seg in docker.segments(docker.run_text(c))
	cmd := docker.command(seg)
	some change in mode_changes(cmd)
	msg := problem(change.mode, change.targets)
	res := docker.result(sprintf("RUN %s: %q", [msg, trim_space(seg)]), c)
}

# COPY --chmod / ADD --chmod.
deny contains res if {
	some c in docker.commands
	c.cmd in {"copy", "add"}
	some f in object.get(c, "flags", [])
	startswith(f, "--chmod=")
	mode := substring(f, count("--chmod="), -1)
	v := docker.values(c)
	msg := problem(mode, [v[count(v) - 1]])
	res := docker.result(sprintf("%s %s", [upper(c.cmd), msg]), c)
}

problem(mode, _) := sprintf("sets the setuid bit (mode %s)", [mode]) if setuid(mode)

problem(mode, targets) := sprintf("sets the setgid bit on %s (mode %s)", [bins[0], mode]) if {
	not setuid(mode)
	setgid(mode)
	bins := [t | some t in targets; regex.match(`(^|/)(s?bin|libexec)(/|$)`, t)]
	count(bins) > 0
}

mode_changes(cmd) := [{"mode": args[0], "targets": array.slice(args, 1, count(args))}] if {
	docker.basename(cmd[0]) == "chmod"
	args := [a | some a in array.slice(cmd, 1, count(cmd)); not startswith(a, "-")]
	count(args) > 0
}

mode_changes(cmd) := [{"mode": m, "targets": [cmd[count(cmd) - 1]]} |
	some i, a in cmd
	m := install_mode(cmd, i, a)
] if {
	docker.basename(cmd[0]) == "install"
}

install_mode(cmd, i, a) := cmd[i + 1] if a in {"-m", "--mode"}

install_mode(_, _, a) := substring(a, 2, -1) if {
	startswith(a, "-m")
	a != "-m"
}

install_mode(_, _, a) := substring(a, count("--mode="), -1) if startswith(a, "--mode=")

# Octal modes: the digit before the last three holds the 4000 (setuid), 2000
# (setgid) and 1000 (sticky) bits.
special_digit(mode) := to_number(substring(mode, count(mode) - 4, 1)) if regex.match(`^[0-7]{4,}$`, mode)

setuid(mode) if special_digit(mode) in {4, 5, 6, 7}

setuid(mode) if adds_s(mode, "u")

setgid(mode) if special_digit(mode) in {2, 3, 6, 7}

setgid(mode) if adds_s(mode, "g")

# adds_s: a symbolic clause such as u+s, g=rxs, +s or a+s gives "s" to who.
adds_s(mode, who) if {
	some clause in split(mode, ",")
	parts := regex.find_all_string_submatch_n(`^([ugoa]*)([+=])([rwxXst]*)$`, clause, 1)
	count(parts) == 1
	contains(parts[0][3], "s")
	applies_to(parts[0][1], who)
}

applies_to("", _)

applies_to(whos, who) if contains(whos, who)

applies_to(whos, _) if contains(whos, "a")
