package config

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/rampart-sec/rampart/internal/scan"
)

// docSummary is what the document tests compare.
type docSummary struct {
	Index                             int
	Kind, APIVersion, Name, Namespace string
	StartLine, EndLine                int
}

func summarize(docs []Document) []docSummary {
	out := []docSummary{}
	for _, d := range docs {
		out = append(out, docSummary{
			Index: d.Index, Kind: d.Kind, APIVersion: d.APIVersion, Name: d.Name, Namespace: d.Namespace,
			StartLine: d.StartLine, EndLine: d.EndLine,
		})
	}
	return out
}

// errLine is an error's message and its line, as the runner reports it.
type errLine struct {
	Line int
	Msg  string
}

func errLines(errs []error) []errLine {
	out := []errLine{}
	for _, err := range errs {
		var le scan.LineError
		if !errors.As(err, &le) {
			out = append(out, errLine{Line: -1, Msg: err.Error()})
			continue
		}
		out = append(out, errLine{Line: le.Line(), Msg: err.Error()})
	}
	return out
}

func readDocs(t *testing.T, src string) ([]Document, []error) {
	t.Helper()
	nodes, errs := readYAMLNodes([]byte(src))
	docs, docErrs := kubernetesDocuments(nodes)
	return docs, append(errs, docErrs...)
}

func TestKubernetesDocuments(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		want     []docSummary
		wantErrs []errLine
	}{
		{
			name: "multi-document",
			src: `# leading comment
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
--- # a comment on the marker
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
...
`,
			want: []docSummary{
				{Index: 0, Kind: "Namespace", APIVersion: "v1", Name: "shop", StartLine: 2, EndLine: 5},
				{Index: 1, Kind: "Deployment", APIVersion: "apps/v1", Name: "web", Namespace: "shop", StartLine: 7, EndLine: 13},
				{Index: 2, Kind: "Service", APIVersion: "v1", Name: "web", Namespace: "shop", StartLine: 16, EndLine: 18},
			},
		},
		{
			name: "v1 List",
			src: `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: a
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: b
  - just a string
  - kind: Pod
    metadata:
      name: no-api-version
`,
			want: []docSummary{
				{Index: 0, Kind: "ServiceAccount", APIVersion: "v1", Name: "a", StartLine: 4, EndLine: 7},
				{Index: 1, Kind: "Deployment", APIVersion: "apps/v1", Name: "b", StartLine: 8, EndLine: 11},
			},
		},
		{
			name: "PodList items inherit kind and apiVersion",
			src: `apiVersion: v1
kind: PodList
metadata:
  resourceVersion: "1"
items:
- metadata:
    name: a
    namespace: ns
  spec:
    hostPID: true
- apiVersion: v1
  kind: Pod
  metadata:
    name: b
`,
			want: []docSummary{
				{Index: 0, Kind: "Pod", APIVersion: "v1", Name: "a", Namespace: "ns", StartLine: 6, EndLine: 10},
				{Index: 1, Kind: "Pod", APIVersion: "v1", Name: "b", StartLine: 11, EndLine: 14},
			},
		},
		{
			name: "a kind ending in List without items is an object",
			src:  "apiVersion: example.com/v1\nkind: AllowList\nmetadata:\n  name: x\nspec: {}\n",
			want: []docSummary{{Index: 0, Kind: "AllowList", APIVersion: "example.com/v1", Name: "x", StartLine: 1, EndLine: 5}},
		},
		{
			name: "JSON",
			src: `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "j",
    "namespace": "ns"
  },
  "spec": {"containers": [{"name": "c", "image": "x"}]}
}
`,
			want: []docSummary{{Index: 0, Kind: "Pod", APIVersion: "v1", Name: "j", Namespace: "ns", StartLine: 1, EndLine: 8}},
		},
		{
			name: "JSON List on one line",
			src:  `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`,
			want: []docSummary{{Index: 0, Kind: "Pod", APIVersion: "v1", Name: "p", StartLine: 1, EndLine: 1}},
		},
		{
			name: "non-Kubernetes YAML is ignored",
			src: `# a CI file
name: build
on: [push]
---
apiVersion: v1
# no kind
metadata:
  name: x
---
kind: Pod
---
- apiVersion: v1
  kind: Pod
---
plain scalar
---
---
apiVersion: v1
kind: ~
---
apiVersion: [v1]
kind: Pod
`,
			want: []docSummary{},
		},
		{
			name: "broken document in the middle: scanner error",
			src: `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  bad: : :
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
`,
			want: []docSummary{
				{Index: 0, Kind: "ConfigMap", APIVersion: "v1", Name: "a", StartLine: 1, EndLine: 4},
				{Index: 1, Kind: "ConfigMap", APIVersion: "v1", Name: "c", StartLine: 12, EndLine: 15},
			},
			wantErrs: []errLine{{Line: 10, Msg: "line 10: invalid YAML: mapping values are not allowed in this context"}},
		},
		{
			name: "broken document in the middle: parser error",
			src: `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
data:
  k: [1, 2
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
`,
			want: []docSummary{
				{Index: 0, Kind: "ConfigMap", APIVersion: "v1", Name: "a", StartLine: 1, EndLine: 4},
				{Index: 1, Kind: "ConfigMap", APIVersion: "v1", Name: "c", StartLine: 13, EndLine: 16},
			},
			wantErrs: []errLine{{Line: 11, Msg: "line 11: invalid YAML: did not find expected ',' or ']'"}},
		},
		{
			name: "bad indentation",
			src: `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
 labels: x
`,
			want: []docSummary{{Index: 0, Kind: "ConfigMap", APIVersion: "v1", Name: "a", StartLine: 1, EndLine: 4}},
			// yaml.v3 names the start of the mapping it was parsing (the
			// document's first line here), not the offending line.
			wantErrs: []errLine{{Line: 6, Msg: "line 6: invalid YAML: did not find expected key"}},
		},
		{
			name: "two broken documents",
			src: `apiVersion: v1
kind: ConfigMap
metadata: {name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
---
a: *nowhere
`,
			want: []docSummary{{Index: 0, Kind: "ConfigMap", APIVersion: "v1", Name: "b", StartLine: 5, EndLine: 8}},
			wantErrs: []errLine{
				{Line: 3, Msg: "line 3: invalid YAML: did not find expected ',' or '}'"},
				{Line: 9, Msg: "line 9: invalid YAML: unknown anchor 'nowhere' referenced"},
			},
		},
		{
			// yaml.v3 puts errors at the end of the stream on the line
			// after the last one.
			name:     "error at the end of a file without a final newline",
			src:      "apiVersion: v1\nkind: Pod\nmetadata: {name: a",
			want:     []docSummary{},
			wantErrs: []errLine{{Line: 3, Msg: "line 3: invalid YAML: did not find expected ',' or '}'"}},
		},
		{
			name:     "error at the end of a document",
			src:      "a: [1,\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n",
			want:     []docSummary{{Index: 0, Kind: "Pod", APIVersion: "v1", Name: "b", StartLine: 3, EndLine: 5}},
			wantErrs: []errLine{{Line: 1, Msg: "line 1: invalid YAML: did not find expected node content"}},
		},
		{
			name:     "lone carriage returns break lines",
			src:      "apiVersion: v1\rkind: Pod\rmetadata:\r  name: cr\r  bad: : x\r",
			want:     []docSummary{},
			wantErrs: []errLine{{Line: 5, Msg: "line 5: invalid YAML: mapping values are not allowed in this context"}},
		},
		{
			name:     "error on the first line",
			src:      "- a\nb: c\n",
			want:     []docSummary{},
			wantErrs: []errLine{{Line: 2, Msg: "line 2: invalid YAML: did not find expected '-' indicator"}},
		},
		{
			name:     "error without a line",
			src:      "%YAML 1.2\n---\na: 1\n",
			want:     []docSummary{},
			wantErrs: []errLine{{Line: 1, Msg: "line 1: invalid YAML: found incompatible YAML document"}},
		},
		{
			name:     "tab indentation",
			src:      "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
			want:     []docSummary{},
			wantErrs: []errLine{{Line: 4, Msg: "line 4: invalid YAML: found character that cannot start any token"}},
		},
		{
			name: "empty",
			src:  "",
			want: []docSummary{},
		},
		{
			name: "only markers and comments",
			src:  "---\n# nothing\n---\n",
			want: []docSummary{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, errs := readDocs(t, tt.src)
			if diff := cmp.Diff(summarize(docs), tt.want); diff != "" {
				t.Errorf("documents (-got +want):\n%s", diff)
			}
			want := tt.wantErrs
			if want == nil {
				want = []errLine{}
			}
			if diff := cmp.Diff(errLines(errs), want); diff != "" {
				t.Errorf("errors (-got +want):\n%s", diff)
			}
		})
	}
}

// The document's Node is the object's mapping with file lines, also for the
// documents of a file whose other part failed to parse.
func TestKubernetesDocumentsNodeLines(t *testing.T) {
	src := "apiVersion: v1\nkind: Pod\nmetadata: {name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  hostPID: true\n"
	docs, errs := readDocs(t, src)
	if len(errs) != 1 || len(docs) != 1 {
		t.Fatalf("got %d documents, errors %v; want 1 document and 1 error", len(docs), errs)
	}
	start, end, ok := locate(docs[0].Node, "spec.hostPID")
	if start != 10 || end != 10 || !ok {
		t.Errorf("locate(spec.hostPID) = %d, %d, %v; want 10, 10, true", start, end, ok)
	}
}

func TestDocumentValue(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: types
data:
  version: 1.10
  quotedVersion: "1.10"
  yes: yes
  on: on
  no: no
  t: true
  f: False
  hex: 0x1F
  octal: 0o17
  legacyOctal: 017
  int: 42
  neg: -7
  big: 12345678901234567890
  float: 1e3
  inf: .inf
  nan: .nan
  underscore: 1_000
  null1: null
  null2: ~
  null3:
  str: hello
  single: 'it''s'
  date: 2024-01-02
  80: port
  true: key
  list: [1, "2", three]
  nested: {a: {b: [true]}}
  literal: |
    a
    b
`
	docs, errs := readDocs(t, src)
	if len(errs) != 0 || len(docs) != 1 {
		t.Fatalf("got %d documents, errors %v", len(docs), errs)
	}
	data := docs[0].Value.(ast.Object).Get(ast.StringTerm("data"))
	if data == nil {
		t.Fatal("no data in the value")
	}
	obj := data.Value.(ast.Object)
	tests := []struct {
		key  string
		want ast.Value
	}{
		{key: "version", want: ast.Number("1.1")},
		{key: "quotedVersion", want: ast.String("1.10")},
		{key: "yes", want: ast.String("yes")},
		{key: "on", want: ast.String("on")},
		{key: "no", want: ast.String("no")},
		{key: "t", want: ast.Boolean(true)},
		{key: "f", want: ast.Boolean(false)},
		{key: "hex", want: ast.Number("31")},
		{key: "octal", want: ast.Number("15")},
		{key: "legacyOctal", want: ast.Number("15")},
		{key: "int", want: ast.Number("42")},
		{key: "neg", want: ast.Number("-7")},
		{key: "big", want: ast.Number("12345678901234567890")},
		{key: "float", want: ast.Number("1000")},
		{key: "inf", want: ast.String(".inf")},
		{key: "nan", want: ast.String(".nan")},
		{key: "underscore", want: ast.Number("1000")},
		{key: "null1", want: ast.Null{}},
		{key: "null2", want: ast.Null{}},
		{key: "null3", want: ast.Null{}},
		{key: "str", want: ast.String("hello")},
		{key: "single", want: ast.String("it's")},
		{key: "date", want: ast.String("2024-01-02")},
		{key: "80", want: ast.String("port")},
		{key: "true", want: ast.String("key")},
		{key: "list", want: ast.NewArray(ast.NumberTerm("1"), ast.StringTerm("2"), ast.StringTerm("three"))},
		{key: "nested", want: ast.NewObject(ast.Item(ast.StringTerm("a"), ast.ObjectTerm(ast.Item(ast.StringTerm("b"), ast.ArrayTerm(ast.BooleanTerm(true))))))},
		{key: "literal", want: ast.String("a\nb\n")},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got := obj.Get(ast.StringTerm(tt.key))
			if got == nil {
				t.Fatalf("data.%s is missing", tt.key)
			}
			if got.Value.Compare(tt.want) != 0 {
				t.Errorf("data.%s = %v (%T), want %v (%T)", tt.key, got.Value, got.Value, tt.want, tt.want)
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: merge
defaults: &defaults
  a: 1
  b: 2
extra: &extra
  c: 3
data:
  one:
    <<: *defaults
    b: overridden
  many:
    <<: [*defaults, *extra]
    a: mine
  inline:
    <<: {z: 26}
`
	docs, errs := readDocs(t, src)
	if len(errs) != 0 || len(docs) != 1 {
		t.Fatalf("got %d documents, errors %v", len(docs), errs)
	}
	got := docs[0].Value.(ast.Object).Get(ast.StringTerm("data")).String()
	want := `{"inline": {"z": 26}, "many": {"a": "mine", "b": 2, "c": 3}, "one": {"a": 1, "b": "overridden"}}`
	if got != want {
		t.Errorf("data = %s\nwant   %s", got, want)
	}
}

func TestMergeKeyErrors(t *testing.T) {
	for _, src := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  <<: scalar\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  <<: [a, b]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  ? [complex, key]\n  : v\n",
	} {
		t.Run(src, func(t *testing.T) {
			docs, errs := readDocs(t, src)
			if len(docs) != 0 || len(errs) != 1 {
				t.Fatalf("got %d documents, errors %v; want one error", len(docs), errs)
			}
			var le scan.LineError
			if !errors.As(errs[0], &le) || le.Line() != 1 {
				t.Errorf("error %v: want it to point at the document, line 1", errs[0])
			}
		})
	}
}

// laughs writes anchors l0..l<levels-1> at the given indentation: l0 is a
// list of ten strings and each further level a list of ten aliases of the
// one before, so *l<n> expands to 10^(n+1) strings.
func laughs(indent string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", indent)
	for i := 1; i < levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, strings.Repeat(p+", ", 9)+p)
	}
	return b.String()
}

func TestAliasBomb(t *testing.T) {
	const header = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n"
	tests := []struct {
		name string
		src  string
	}{
		{name: "billion laughs", src: header + laughs("  ", 9)},
		{
			// About 900,000 values each: every document alone is under
			// the limit, twelve of them would hold ten times the memory.
			name: "many documents just under the limit",
			src:  strings.Repeat(header+laughs("  ", 5)+"  big: [*l4, *l4, *l4, *l4, *l4, *l4, *l4]\n---\n", 12),
		},
		{
			// Items of a List share the list's anchors: each item expands
			// to about 111,000 values, a thousand of them to 10^8.
			name: "List items sharing an anchor",
			src: "apiVersion: v1\nkind: List\nbomb:\n" + laughs("  ", 5) + "items:\n" +
				strings.Repeat("- {apiVersion: v1, kind: ConfigMap, metadata: {name: i}, data: *l4}\n", 1000),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			docs, errs := readDocs(t, tt.src)
			runtime.ReadMemStats(&after)
			if len(errs) == 0 {
				t.Fatalf("got %d documents and no error; want ErrTooComplex", len(docs))
			}
			for _, err := range errs {
				if !errors.Is(err, ErrTooComplex) {
					t.Errorf("error %v: want ErrTooComplex", err)
				}
			}
			// The budget of maxNodes values per file costs well under
			// 1 GB; expanding the bombs would take tens of GB or more.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			runtime.KeepAlive(docs)
		})
	}
}

// A file may hold more than maxNodes values as long as they are written
// out: the budget limits what aliases add.
func TestLargeFileWithoutAliases(t *testing.T) {
	if testing.Short() {
		t.Skip("parses a million values")
	}
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  list: [")
	for i := range maxNodes + 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("1")
	}
	b.WriteString("]\n")
	docs, errs := readDocs(t, b.String())
	if len(docs) != 1 || len(errs) != 0 {
		t.Fatalf("got %d documents, errors %v; want the document", len(docs), errs)
	}
}

func TestDeepNesting(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata: " + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n"
	docs, errs := readDocs(t, src)
	if len(docs) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrTooComplex) {
		t.Errorf("got %d documents, errors %v; want one ErrTooComplex", len(docs), errs)
	}
}

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{src: "", want: []string{""}},
		{src: "a: 1\n", want: []string{"a: 1\n"}},
		{src: "---\na: 1\n", want: []string{"---\na: 1\n"}},
		{src: "a: 1\n---\nb: 2\n", want: []string{"a: 1\n", "---\nb: 2\n"}},
		{src: "a: 1\n--- # c\nb: 2\n---\t\n", want: []string{"a: 1\n", "--- # c\nb: 2\n", "---\t\n"}},
		// Not markers: indented, followed by text, or "----".
		{src: "a: |\n  ---\nb: ---x\n----\n", want: []string{"a: |\n  ---\nb: ---x\n----\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			var got []string
			for _, p := range splitDocuments([]byte(tt.src)) {
				got = append(got, string(p))
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("splitDocuments (-got +want):\n%s", diff)
			}
			if strings.Join(got, "") != tt.src {
				t.Errorf("parts do not add up to the source")
			}
		})
	}
}

func TestLooksLikeKubernetesJSON(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{src: `{"apiVersion": "v1", "kind": "Pod"}`, want: true},
		{src: `{"name": "pkg", "version": "1.0.0"}`, want: false},
		{src: `{"kind": "Pod"}`, want: false},
		{src: `{"compilerOptions": {"apiVersion": 1}}`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			if got := looksLikeKubernetesJSON([]byte(tt.src)); got != tt.want {
				t.Errorf("looksLikeKubernetesJSON(%s) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}
