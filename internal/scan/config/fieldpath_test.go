package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestParseFieldPath(t *testing.T) {
	tests := []struct {
		path string
		want []segment
	}{
		{path: "", want: nil},
		{path: "kind", want: []segment{{key: "kind", index: -1}}},
		{path: "metadata.name", want: []segment{{key: "metadata", index: -1}, {key: "name", index: -1}}},
		{
			path: "spec.containers[0].securityContext.privileged",
			want: []segment{
				{key: "spec", index: -1}, {key: "containers", index: -1}, {index: 0},
				{key: "securityContext", index: -1}, {key: "privileged", index: -1},
			},
		},
		{
			path: "spec.template.spec.initContainers[12].ports[3]",
			want: []segment{
				{key: "spec", index: -1}, {key: "template", index: -1}, {key: "spec", index: -1},
				{key: "initContainers", index: -1}, {index: 12}, {key: "ports", index: -1}, {index: 3},
			},
		},
		{
			path: `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`,
			want: []segment{
				{key: "metadata", index: -1}, {key: "annotations", index: -1},
				{key: "container.apparmor.security.beta.kubernetes.io/app", index: -1},
			},
		},
		{
			// A quoted key may hold ] and escaped quotes.
			path: `data["a]b"]["say \"hi\""].x`,
			want: []segment{{key: "data", index: -1}, {key: "a]b", index: -1}, {key: `say "hi"`, index: -1}, {key: "x", index: -1}},
		},
		{path: `a[""]`, want: []segment{{key: "a", index: -1}, {key: "", index: -1}}},
		{path: "[2]", want: []segment{{index: 2}}},
		{path: "a..b.", want: []segment{{key: "a", index: -1}, {key: "b", index: -1}}},
		{path: "a[0][1]", want: []segment{{key: "a", index: -1}, {index: 0}, {index: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := parseFieldPath(tt.path)
			if err != nil {
				t.Fatalf("parseFieldPath(%q): %v", tt.path, err)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(segment{})); diff != "" {
				t.Errorf("parseFieldPath(%q) (-got +want):\n%s", tt.path, diff)
			}
		})
	}
}

func TestParseFieldPathErrors(t *testing.T) {
	tests := []struct {
		path    string
		wantErr string
	}{
		{path: "a[0", wantErr: "unclosed ["},
		{path: "a[", wantErr: "unclosed ["},
		{path: "a[-1]", wantErr: "not a non-negative integer"},
		{path: "a[x]", wantErr: "not a non-negative integer"},
		{path: "a[ 1]", wantErr: "not a non-negative integer"},
		{path: "a[99999999999999999999999]", wantErr: "not a non-negative integer"},
		{path: "a['single']", wantErr: "not a non-negative integer"},
		{path: `a["unterminated]`, wantErr: "bad quoted key"},
		{path: `a["x"y]`, wantErr: "want ] after quoted key"},
		{path: `a["x"`, wantErr: "unclosed ["},
		{path: `a["x"]]`, wantErr: "] without ["},
		{path: "a]", wantErr: "] without ["},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := parseFieldPath(tt.path)
			if err == nil {
				t.Fatalf("parseFieldPath(%q) = %v, want an error", tt.path, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFieldPath(%q) error = %q, want it to contain %q", tt.path, err, tt.wantErr)
			}
		})
	}
}

// locateDoc is a manifest with every shape locate must handle; the comments
// give line numbers.
const locateDoc = `apiVersion: v1                      # 1
kind: Pod                           # 2
metadata:                           # 3
  name: web                         # 4
  annotations:                      # 5
    container.apparmor.security.beta.kubernetes.io/app: unconfined # 6
    "quoted/key": x                 # 7
  labels: &labels                   # 8
    app: web                        # 9
    tier: front                     # 10
spec:                               # 11
  containers:                       # 12
    - name: app                     # 13
      image: nginx                  # 14
      securityContext:              # 15
        privileged: true            # 16
      command:                      # 17
        - sh                        # 18
        - -c                        # 19
        - |                         # 20
          echo one
          echo two
      args: ["a", "b"]              # 23
    - name: sidecar                 # 24
      image: busybox                # 25
      env: []                       # 26
  volumes:                          # 27
    - name: data                    # 28
      emptyDir: {}                  # 29
  nodeSelector: *labels             # 30
  script: |                         # 31
    one
    two

    four
  folded: >-                        # 36
    a
    b
  empty: |                          # 39
  last: x                           # 40
`

func TestLocate(t *testing.T) {
	root := parseOne(t, locateDoc)
	tests := []struct {
		field              string
		wantStart, wantEnd int
		wantOK             bool
	}{
		{field: "", wantStart: 1, wantEnd: 40, wantOK: true},
		{field: "kind", wantStart: 2, wantEnd: 2, wantOK: true},
		{field: "metadata", wantStart: 3, wantEnd: 10, wantOK: true},
		{field: "metadata.name", wantStart: 4, wantEnd: 4, wantOK: true},
		{field: `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`, wantStart: 6, wantEnd: 6, wantOK: true},
		{field: `metadata.annotations["quoted/key"]`, wantStart: 7, wantEnd: 7, wantOK: true},
		{field: "spec.containers", wantStart: 12, wantEnd: 26, wantOK: true},
		{field: "spec.containers[0]", wantStart: 13, wantEnd: 23, wantOK: true},
		{field: "spec.containers[0].securityContext.privileged", wantStart: 16, wantEnd: 16, wantOK: true},
		{field: "spec.containers[1].image", wantStart: 25, wantEnd: 25, wantOK: true},
		{field: "spec.containers[0].command[1]", wantStart: 19, wantEnd: 19, wantOK: true},
		// A literal block scalar ends at its last content line.
		{field: "spec.containers[0].command[2]", wantStart: 20, wantEnd: 22, wantOK: true},
		{field: "spec.containers[0].command", wantStart: 17, wantEnd: 22, wantOK: true},
		{field: "spec.containers[0].args[1]", wantStart: 23, wantEnd: 23, wantOK: true},
		{field: "spec.script", wantStart: 31, wantEnd: 35, wantOK: true},
		// An empty block scalar stays on its own line.
		{field: "spec.empty", wantStart: 39, wantEnd: 39, wantOK: true},
		// Missing settings point at the deepest parent that exists.
		{field: "spec.containers[1].securityContext.privileged", wantStart: 24, wantEnd: 26, wantOK: true},
		{field: "spec.containers[0].securityContext.runAsNonRoot", wantStart: 15, wantEnd: 16, wantOK: true},
		{field: "spec.containers[7].image", wantStart: 12, wantEnd: 26, wantOK: true},
		{field: "spec.hostPID", wantStart: 11, wantEnd: 40, wantOK: true},
		{field: "spec.volumes[0].emptyDir.medium", wantStart: 29, wantEnd: 29, wantOK: true},
		// An index into a mapping, a key into a sequence: not found there.
		{field: "metadata[0]", wantStart: 3, wantEnd: 10, wantOK: true},
		{field: "spec.containers.name", wantStart: 12, wantEnd: 26, wantOK: true},
		{field: "spec.containers[0].image.tag", wantStart: 14, wantEnd: 14, wantOK: true},
		// Nothing of the path exists: the whole document, not ok.
		{field: "status.phase", wantStart: 1, wantEnd: 40, wantOK: false},
		{field: "[0]", wantStart: 1, wantEnd: 40, wantOK: false},
		// Through an alias: the key is where the anchored mapping defines it.
		{field: "spec.nodeSelector", wantStart: 30, wantEnd: 30, wantOK: true},
		{field: "spec.nodeSelector.tier", wantStart: 10, wantEnd: 10, wantOK: true},
		{field: "spec.nodeSelector.zone", wantStart: 30, wantEnd: 30, wantOK: true},
		// Malformed paths: an error is not ok and points at the document.
		{field: "spec.containers[", wantStart: 1, wantEnd: 40, wantOK: false},
		{field: `metadata.annotations["x`, wantStart: 1, wantEnd: 40, wantOK: false},
		{field: "spec.containers[-3]", wantStart: 1, wantEnd: 40, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			start, end, ok := locate(root, tt.field)
			if start != tt.wantStart || end != tt.wantEnd || ok != tt.wantOK {
				t.Errorf("locate(%q) = %d, %d, %v; want %d, %d, %v", tt.field, start, end, ok, tt.wantStart, tt.wantEnd, tt.wantOK)
			}
		})
	}
}

// A folded block scalar loses the line breaks it folds, so its end line is a
// lower bound: never before its first content line, never past its last.
func TestLocateFoldedScalar(t *testing.T) {
	root := parseOne(t, locateDoc)
	start, end, ok := locate(root, "spec.folded")
	if !ok || start != 36 {
		t.Fatalf("locate(spec.folded) = %d, %d, %v; want start 36", start, end, ok)
	}
	if end < 37 || end > 38 {
		t.Errorf("locate(spec.folded) end = %d, want within the scalar's lines 37-38", end)
	}
}

func TestLocateEdgeCases(t *testing.T) {
	tests := []struct {
		name               string
		src                string
		field              string
		wantStart, wantEnd int
		wantOK             bool
	}{
		{name: "empty block scalar at end of file", src: "a: |", field: "a", wantStart: 1, wantEnd: 1, wantOK: true},
		{name: "empty folded scalar at end of file", src: "a: >-\n", field: "a", wantStart: 1, wantEnd: 1, wantOK: true},
		{name: "empty value at end of file", src: "a:", field: "a", wantStart: 1, wantEnd: 1, wantOK: true},
		{name: "empty explicit key at end of file", src: "b: 1\n?", field: "", wantStart: 1, wantEnd: 2, wantOK: true},
		{name: "keep chomping", src: "a: |+\n  x\n\n\nb: 1\n", field: "a", wantStart: 1, wantEnd: 2, wantOK: true},
		{name: "indentation indicator with leading blank line", src: "a: |2\n\n   x\n", field: "a", wantStart: 1, wantEnd: 3, wantOK: true},
		{name: "flow mapping", src: "{a: {b: 1,\n c: 2}}\n", field: "a.c", wantStart: 2, wantEnd: 2, wantOK: true},
		{name: "json", src: "{\n  \"a\": [\n    {\"b\": true}\n  ]\n}\n", field: "a[0].b", wantStart: 3, wantEnd: 3, wantOK: true},
		{name: "scalar root", src: "just a string\n", field: "a", wantStart: 1, wantEnd: 1, wantOK: false},
		{name: "sequence root", src: "- a\n- b\n", field: "[1]", wantStart: 2, wantEnd: 2, wantOK: true},
		{name: "alias to scalar", src: "a: &x 1\nb: *x\n", field: "b.c", wantStart: 2, wantEnd: 2, wantOK: true},
		{name: "self-referencing anchor", src: "a: &x [1, *x]\n", field: "a[1][1][1][0]", wantStart: 1, wantEnd: 1, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := parseOne(t, tt.src)
			start, end, ok := locate(root, tt.field)
			if start != tt.wantStart || end != tt.wantEnd || ok != tt.wantOK {
				t.Errorf("locate(%q) = %d, %d, %v; want %d, %d, %v", tt.field, start, end, ok, tt.wantStart, tt.wantEnd, tt.wantOK)
			}
		})
	}
}

func TestLocateNil(t *testing.T) {
	for _, n := range []*yaml.Node{nil, {Kind: yaml.DocumentNode}} {
		if start, end, ok := locate(n, "a.b"); start != 0 || end != 0 || ok {
			t.Errorf("locate(%v) = %d, %d, %v; want 0, 0, false", n, start, end, ok)
		}
	}
}

// parseOne parses a single YAML document.
func parseOne(t *testing.T, src string) *yaml.Node {
	t.Helper()
	nodes, errs := readYAMLNodes([]byte(src))
	if len(errs) > 0 || len(nodes) != 1 {
		t.Fatalf("parse: %d nodes, errors %v", len(nodes), errs)
	}
	return nodes[0]
}
