package rampart.dockerfile.curl_pipe_shell_test

import data.rampart.dockerfile.curl_pipe_shell

runs(cmds) := dockerfile([stage(0, "", "ubuntu:24.04", 1, [ins("run", i + 2, [c]) | some i, c in cmds])])

test_pipes_fail if {
	findings := curl_pipe_shell.deny with input as runs([
		"curl -fsSL https://deb.nodesource.com/setup_20.x | bash -",
		"wget -qO- https://example.com/install.sh | sh",
		"wget -O - https://example.com/install.sh|sh",
		"curl https://sh.rustup.rs -sSf | sh -s -- -y",
		"curl -fsSL https://example.com/i.sh | sudo -E bash -s -- --version 1.2",
		"curl -sL https://example.com/i.sh 2>/dev/null | /bin/bash",
		"bash <(curl -fsSL https://example.com/i.sh)",
		"sh -c \"$(curl -fsSL https://example.com/i.sh)\"",
		"eval \"$(wget -qO- https://example.com/env)\"",
		"curl -sSL https://install.python-poetry.org | python3 -",
		"curl -sSL https://example.com/x.pl | perl",
		"apt-get update && curl -fsSL https://get.docker.com | sh && rm -rf /var/lib/apt/lists/*",
	])
	lines(findings) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
}

test_other_pipes_pass if {
	count(curl_pipe_shell.deny) == 0 with input as runs([
		"curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/example.gpg",
		"curl -fsSL https://example.com/app.tar.gz | tar -xz -C /usr/local",
		"curl -s https://api.example.com/v | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"v\"])'",
		"curl -s https://api.example.com/v | jq -r .version",
		"curl -fsSLo /tmp/i.sh https://example.com/i.sh && echo \"abc  /tmp/i.sh\" | sha256sum -c - && sh /tmp/i.sh",
		"curl -fsSL https://example.com/f | shasum -a 256",
		"echo hello | sh",
		"curl -fsSL https://example.com/x || echo failed | sh",
	])
}

test_heredoc if {
	findings := curl_pipe_shell.deny with input as dockerfile([stage(0, "", "ubuntu:24.04", 1, [object.union(
		ins("run", 2, ["<<EOF"]),
		{"end_line": 5, "heredocs": ["set -e\ncurl -fsSL https://example.com/i.sh \\\n  | bash\n"]},
	)])])
	lines(findings) == {2}
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
