package ignore_test

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/ignore"
)

func TestParseInlineSingleLine(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		rule       string
		wantOK     bool
		wantReason string
	}{
		{
			name: "trailing yaml comment", line: `privileged: true # rampart:ignore:k8s-pss-privileged needed for the CNI`,
			rule: "k8s-pss-privileged", wantOK: true, wantReason: "needed for the CNI",
		},
		{
			name: "no reason", line: `hostPID: true # rampart:ignore:k8s-pss-host-pid`,
			rule: "k8s-pss-host-pid", wantOK: true,
		},
		{
			name: "other rule", line: `hostPID: true # rampart:ignore:k8s-pss-host-pid`,
			rule: "k8s-pss-host-ipc",
		},
		{
			name: "no prefix match", line: `x: 1 # rampart:ignore:k8s-pss`,
			rule: "k8s-pss-privileged",
		},
		{
			name: "no longer id", line: `x: 1 # rampart:ignore:k8s-pss-privileged-x`,
			rule: "k8s-pss-privileged",
		},
		{
			name: "slash comment", line: `  privileged = true // rampart:ignore:tf-privileged lab only`,
			rule: "tf-privileged", wantOK: true, wantReason: "lab only",
		},
		{
			name: "hash comment in hcl", line: `  privileged = true # rampart:ignore:tf-privileged lab only`,
			rule: "tf-privileged", wantOK: true, wantReason: "lab only",
		},
		{
			name: "dockerfile trailing", line: `RUN echo "a # b" # rampart:ignore:dockerfile-apt reason here`,
			rule: "dockerfile-apt", wantOK: true, wantReason: "reason here",
		},
		{
			name: "hash in quoted value then comment", line: `image: "a#b" # rampart:ignore:k8s-image-latest ok`,
			rule: "k8s-image-latest", wantOK: true, wantReason: "ok",
		},
		{
			name: "hash in single-quoted value then comment", line: `image: 'a # b' # rampart:ignore:k8s-image-latest ok`,
			rule: "k8s-image-latest", wantOK: true, wantReason: "ok",
		},
		{
			name: "apostrophe in plain value", line: `note: don't worry # rampart:ignore:k8s-x fine`,
			rule: "k8s-x", wantOK: true, wantReason: "fine",
		},
		{
			name: "plain value with hash", line: `image: nginx#latest # rampart:ignore:k8s-image-latest pinned elsewhere`,
			rule: "k8s-image-latest", wantOK: true, wantReason: "pinned elsewhere",
		},
		{
			name: "url before comment", line: `repo: https://example.com/x # rampart:ignore:k8s-x mirror`,
			rule: "k8s-x", wantOK: true, wantReason: "mirror",
		},
		{
			name: "crlf", line: "x: 1 # rampart:ignore:k8s-x why\r",
			rule: "k8s-x", wantOK: true, wantReason: "why",
		},
		{
			name: "tab before comment", line: "x: 1\t# rampart:ignore:k8s-x why",
			rule: "k8s-x", wantOK: true, wantReason: "why",
		},
		// The marker outside a comment does not count.
		{name: "marker in double-quoted value", line: `value: "rampart:ignore:x"`, rule: "x"},
		{name: "marker in plain value", line: `value: rampart:ignore:x`, rule: "x"},
		{name: "hash marker in double-quoted value", line: `msg: "# rampart:ignore:foo"`, rule: "foo"},
		{name: "hash marker in single-quoted value", line: `msg: '# rampart:ignore:foo'`, rule: "foo"},
		{name: "escaped quote in value", line: `msg: "say \"hi\" # rampart:ignore:foo"`, rule: "foo"},
		{name: "doubled quote in single-quoted value", line: `msg: 'it''s # rampart:ignore:foo'`, rule: "foo"},
		{name: "quoted value in flow sequence", line: `args: ["--x", "# rampart:ignore:foo"]`, rule: "foo"},
		{name: "quoted value after equals", line: `ENV A="# rampart:ignore:foo"`, rule: "foo"},
		{name: "hash glued to value", line: `image: nginx#rampart:ignore:foo`, rule: "foo"},
		{name: "url", line: `url: https://example.com/rampart:ignore:foo`, rule: "foo"},
		{
			name: "quoted marker, then a real one", line: `msg: "# rampart:ignore:foo" # rampart:ignore:bar yes`,
			rule: "bar", wantOK: true, wantReason: "yes",
		},
		{name: "quoted marker, then a real one: quoted is ignored", line: `msg: "# rampart:ignore:foo" # rampart:ignore:bar yes`, rule: "foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ignore.ParseInline([]byte(tt.line))
			gotReason, gotOK := in.Match(tt.rule, 1)
			if gotOK != tt.wantOK || gotReason != tt.wantReason {
				t.Errorf("Match(%q) on %q = %q, %v; want %q, %v", tt.rule, tt.line, gotReason, gotOK, tt.wantReason, tt.wantOK)
			}
		})
	}
}

func TestParseInlineSeveralDirectives(t *testing.T) {
	tests := []struct {
		name string
		line string
		want map[string]string // rule → reason; rules not listed must not match
	}{
		{
			name: "reasons each",
			line: `securityContext: {} # rampart:ignore:k8s-a first reason rampart:ignore:k8s-b second reason`,
			want: map[string]string{"k8s-a": "first reason", "k8s-b": "second reason"},
		},
		{
			name: "no reasons",
			line: `x: 1 # rampart:ignore:k8s-a rampart:ignore:k8s-b`,
			want: map[string]string{"k8s-a": "", "k8s-b": ""},
		},
		{
			name: "separators",
			line: `x: 1 # rampart:ignore:k8s-a, rampart:ignore:k8s-b; rampart:ignore:k8s-c why`,
			want: map[string]string{"k8s-a": "", "k8s-b": "", "k8s-c": "why"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ignore.ParseInline([]byte(tt.line))
			for rule, want := range tt.want {
				got, ok := in.Match(rule, 1)
				if !ok || got != want {
					t.Errorf("Match(%q) = %q, %v; want %q, true", rule, got, ok, want)
				}
			}
			if got, ok := in.Match("k8s-z", 1); ok {
				t.Errorf("Match(k8s-z) = %q, true; want no match", got)
			}
		})
	}
}

const inlineDoc = `# rampart:ignore:k8s-file-wide whole document
# plain comment in the block
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  # rampart:ignore:k8s-host-pid debugging
  hostPID: true
  hostIPC: true # rampart:ignore:k8s-host-ipc trailing
  hostNetwork: true

  # rampart:ignore:k8s-blank-gap above a blank line

  containers:
    - name: app
      # rampart:ignore:k8s-a two
      # rampart:ignore:k8s-b two lines up
      image: nginx
      // rampart:ignore:k8s-slash slash comment block
      command: ["sh"]
`

func TestInlineMatchAnchors(t *testing.T) {
	in := ignore.ParseInline([]byte(inlineDoc))
	tests := []struct {
		name       string
		rule       string
		anchors    []int
		wantOK     bool
		wantReason string
	}{
		{name: "comment block above resource start", rule: "k8s-file-wide", anchors: []int{11, 3}, wantOK: true, wantReason: "whole document"},
		{name: "comment block above finding only", rule: "k8s-file-wide", anchors: []int{11}},
		{name: "comment directly above", rule: "k8s-host-pid", anchors: []int{9, 3}, wantOK: true, wantReason: "debugging"},
		{name: "comment above does not reach two lines down", rule: "k8s-host-pid", anchors: []int{10}},
		{name: "trailing comment", rule: "k8s-host-ipc", anchors: []int{10, 3}, wantOK: true, wantReason: "trailing"},
		{name: "trailing comment of line above does not count", rule: "k8s-host-ipc", anchors: []int{11}},
		{name: "blank line ends the block", rule: "k8s-blank-gap", anchors: []int{15}},
		{name: "first of a two-line block", rule: "k8s-a", anchors: []int{19}, wantOK: true, wantReason: "two"},
		{name: "second of a two-line block", rule: "k8s-b", anchors: []int{19}, wantOK: true, wantReason: "two lines up"},
		{name: "slash comment block", rule: "k8s-slash", anchors: []int{21}, wantOK: true, wantReason: "slash comment block"},
		{name: "slash block does not reach past code", rule: "k8s-b", anchors: []int{21}},
		{name: "zero and negative anchors are skipped", rule: "k8s-host-pid", anchors: []int{0, -1, 9}, wantOK: true, wantReason: "debugging"},
		{name: "only zero anchors", rule: "k8s-file-wide", anchors: []int{0}},
		{name: "no anchors", rule: "k8s-file-wide"},
		{name: "anchor past the end", rule: "k8s-file-wide", anchors: []int{1000}},
		{name: "on the comment line itself", rule: "k8s-host-pid", anchors: []int{8}, wantOK: true, wantReason: "debugging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotReason, gotOK := in.Match(tt.rule, tt.anchors...)
			if gotOK != tt.wantOK || gotReason != tt.wantReason {
				t.Errorf("Match(%q, %v) = %q, %v; want %q, %v", tt.rule, tt.anchors, gotReason, gotOK, tt.wantReason, tt.wantOK)
			}
		})
	}
}

func TestInlineMatchAnchorsCRLF(t *testing.T) {
	in := ignore.ParseInline([]byte(strings.ReplaceAll(inlineDoc, "\n", "\r\n")))
	if got, ok := in.Match("k8s-host-pid", 9); !ok || got != "debugging" {
		t.Errorf("Match(k8s-host-pid, 9) = %q, %v; want debugging, true", got, ok)
	}
	if got, ok := in.Match("k8s-a", 19); !ok || got != "two" {
		t.Errorf("Match(k8s-a, 19) = %q, %v; want two, true", got, ok)
	}
}

func TestInlineWithoutMarker(t *testing.T) {
	for _, src := range []string{"", "kind: Pod\n# rampart:ignore\n", "# rampart-ignore:k8s-x\n"} {
		in := ignore.ParseInline([]byte(src))
		if got, ok := in.Match("k8s-x", 1, 2); ok {
			t.Errorf("ParseInline(%q).Match = %q, true; want no match", src, got)
		}
	}
}
