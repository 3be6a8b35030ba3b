package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz/<name>/) as
// part of go test; fuzz them with, for example:
//
//	go test ./internal/scan/config -run XXX -fuzz FuzzKubernetesDocuments -fuzztime 60s

// yamlLines is the number of lines of src as YAML counts them: LF, CR,
// CRLF, NEL, LS and PS all break lines.
func yamlLines(src []byte) int {
	n := 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch r {
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				size = 2
			}
			n++
		case '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
		i += size
	}
	return n
}

var yamlSeeds = []string{
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    image: nginx\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n",
	"apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\"}}",
	"a: 1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  x: : :\n---\napiVersion: v1\nkind: Pod\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x}\ndata:\n  <<: *m\n  s: |\n    a\n    b\n  f: >\n    c\n    d\n",
	"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: &a [x, x]\n  b: &b [*a, *a]\n  c: [*b, *b]\n",
	"apiVersion: v1\nkind: Pod\r\nmetadata:\r\n  name: crlf\r\n",
	"a: &a [*a]\n",
	"--- |\n  ---\n---\n...\n",
}

func FuzzKubernetesDocuments(f *testing.F) {
	for _, s := range yamlSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		nodes, errs := readYAMLNodes(src)
		docs, docErrs := kubernetesDocuments(nodes)
		lines := yamlLines(src)
		for i, d := range docs {
			if d.Index != i {
				t.Errorf("document %d has Index %d", i, d.Index)
			}
			if d.StartLine < 1 || d.EndLine < d.StartLine || d.EndLine > lines {
				t.Errorf("document %d (%s %q) at lines %d-%d, file has %d lines", i, d.Kind, d.Name, d.StartLine, d.EndLine, lines)
			}
			if d.Kind == "" || d.APIVersion == "" || d.Node == nil {
				t.Errorf("document %d: kind %q apiVersion %q node %v", i, d.Kind, d.APIVersion, d.Node)
			}
			if _, ok := d.Value.(ast.Object); !ok {
				t.Errorf("document %d: value %T, want an object", i, d.Value)
			}
		}
		for _, err := range append(errs, docErrs...) {
			var pe *parseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T %v is not a *parseError", err, err)
				continue
			}
			if pe.Line() < 1 || pe.Line() > lines {
				t.Errorf("error %q at line %d, file has %d lines", err, pe.Line(), lines)
			}
		}
	})
}

var fieldSeeds = []string{
	"",
	"metadata.name",
	"spec.containers[0].securityContext.privileged",
	`metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`,
	`a["x]y"][3].b`,
	"a[",
	`a["`,
	"[-1]",
	"data.s",
}

func FuzzLocate(f *testing.F) {
	for i, s := range yamlSeeds {
		f.Add(s, fieldSeeds[i%len(fieldSeeds)])
	}
	f.Fuzz(func(t *testing.T, src, field string) {
		segs, err := parseFieldPath(field)
		if err == nil {
			for _, s := range segs {
				if s.index < -1 || (s.index >= 0 && s.key != "") {
					t.Errorf("parseFieldPath(%q): bad segment %+v", field, s)
				}
			}
		}
		nodes, _ := readYAMLNodes([]byte(src))
		lines := yamlLines([]byte(src))
		for _, n := range nodes {
			start, end, ok := locate(n, field)
			if start < 0 || end < start || end > lines {
				t.Errorf("locate(%q) = %d, %d, %v; file has %d lines", field, start, end, ok, lines)
			}
			if ok && start < 1 {
				t.Errorf("locate(%q) = %d, %d, ok", field, start, end)
			}
			if ok && err != nil {
				t.Errorf("locate(%q) is ok for a path that does not parse: %v", field, err)
			}
		}
		docs, _ := kubernetesDocuments(nodes)
		for _, d := range docs {
			start, end := nodeLocator(d)(field)
			if start < 0 || end < start || end > lines {
				t.Errorf("nodeLocator(%q) = %d, %d; file has %d lines", field, start, end, lines)
			}
		}
	})
}

var dockerfileSeeds = []string{
	"FROM alpine:3.20\nRUN echo hi\n",
	"# syntax=docker/dockerfile:1\nARG A=1\nFROM --platform=$BUILDPLATFORM ${A} AS b\nENV X=\"y z\" W='v'\nLABEL a=b\n",
	"FROM a\nRUN [\"sh\", \"-c\", \"echo\"]\nCOPY <<EOF /x\nhi\nEOF\nRUN <<A <<B\na\nA\nb\nB\n",
	"FROM a\nRUN apt-get update && \\\n  apt-get install -y x\n",
	"FROM a\nONBUILD RUN make\nONBUILD\nHEALTHCHECK NONE\n",
	"# escape=`\nFROM a\nRUN x `\n  y\n",
	"RUN echo\n",
	"FROM a\r\nUSER root\r\n",
	"FROM a\nENV\nLABEL\nARG\nEXPOSE 22\n",
}

func FuzzDockerfile(f *testing.F) {
	for _, s := range dockerfileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		looksLikeDockerfile(src)
		df, err := parseDockerfile(src)
		if err != nil {
			var pe *parseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *parseError", err, err)
			}
			if lines := bytes.Count(src, []byte("\n")) + 1; pe.Line() < 0 || pe.Line() > lines {
				t.Errorf("error %q at line %d, file has %d lines", err, pe.Line(), lines)
			}
			return
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		check := func(c dfCommand) {
			if c.StartLine < 1 || c.EndLine < c.StartLine || c.EndLine > lines {
				t.Errorf("%s at lines %d-%d, file has %d lines", c.Cmd, c.StartLine, c.EndLine, lines)
			}
			if c.Value == nil || c.Flags == nil {
				t.Errorf("%s: nil value or flags", c.Cmd)
			}
			if (c.Cmd == "env" || c.Cmd == "label") && len(c.Value)%2 != 0 {
				t.Errorf("%s value %q is not key, value pairs", c.Cmd, c.Value)
			}
		}
		if len(df.Stages) == 0 {
			t.Fatal("no stages and no error")
		}
		for i, st := range df.Stages {
			if st.Index != i || len(st.Commands) == 0 || st.Commands[0].Cmd != "from" || st.StartLine != st.Commands[0].StartLine {
				t.Errorf("stage %d: %+v", i, st)
			}
			for _, c := range st.Commands {
				if c.Stage != i {
					t.Errorf("%s in stage %d says stage %d", c.Cmd, i, c.Stage)
				}
				check(c)
			}
		}
		for _, c := range df.Args {
			if c.Stage != -1 {
				t.Errorf("global %s has stage %d", c.Cmd, c.Stage)
			}
			check(c)
		}
		in, ct := df.input(), df.conftestInput()
		// What the policy engine does with them.
		for _, v := range []any{in, ct} {
			if _, err := ast.InterfaceToValue(v); err != nil {
				t.Errorf("InterfaceToValue: %v", err)
			}
			if _, err := json.Marshal(v); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		}
		n := len(df.Args)
		for _, st := range df.Stages {
			n += len(st.Commands)
		}
		if len(ct) != n {
			t.Errorf("conftest input has %d commands, want %d", len(ct), n)
		}
	})
}

// TestYAMLLines checks the fuzz targets' line counting.
func TestYAMLLines(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{src: "", want: 1},
		{src: "a", want: 1},
		{src: "a\n", want: 2},
		{src: "a\r\nb", want: 2},
		{src: "a\rb\nc", want: 3},
		{src: "a\u2028b\u0085c", want: 3},
	}
	for _, tt := range tests {
		if got := yamlLines([]byte(tt.src)); got != tt.want {
			t.Errorf("yamlLines(%q) = %d, want %d", tt.src, got, tt.want)
		}
		// yaml.v3 agrees: a scalar on the last line is on line want.
		var n yaml.Node
		if tt.src != "" && yaml.Unmarshal([]byte(tt.src), &n) == nil && len(n.Content) > 0 && lastLine(n.Content[0]) > tt.want {
			t.Errorf("yaml puts %q past line %d", tt.src, tt.want)
		}
	}
}
