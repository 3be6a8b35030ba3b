package sbom

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testDoc() Document {
	return Document{
		Name: "vulnerable-app", Tool: "rampart", Version: "test",
		Created: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		Serial:  "5b1e5c0e-8d0a-4f6e-9c1a-2f7d3b9e4a10",
		Components: []Component{
			{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20", Locations: []Location{{Path: "package-lock.json", Line: 14}}},
			{Name: "golang.org/x/text", Version: "0.3.7", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.7", Locations: []Location{{Path: "go.mod", Line: 6}}},
			{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20", Locations: []Location{{Path: "web/package-lock.json", Line: 9}}},
			{Name: "@types/node", Version: "20.1.0", Ecosystem: "npm", PURL: "pkg:npm/%40types/node@20.1.0"},
			{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
			{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", PURL: "pkg:pypi/flask@2.0.0", Locations: []Location{{Path: "requirements.txt", Line: 2}}},
		},
	}
}

// cyclonedxSchemaDir finds cyclonedx-go's schema directory: the official
// CycloneDX schemas ship with the module source.
func cyclonedxSchemaDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Skipf("cannot locate cyclonedx-go's source: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	if _, err := os.Stat(filepath.Join(dir, "bom-1.6.schema.json")); err != nil {
		t.Skipf("CycloneDX 1.6 schema not in the module source: %v", err)
	}
	return dir
}

func compile(t *testing.T, main string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(main)
	if err != nil {
		t.Fatalf("compile %s: %v", main, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("output is not valid against the schema: %v", err)
	}
}

func TestWriteValidAgainstSchemas(t *testing.T) {
	tests := []struct {
		format string
		schema func(t *testing.T) *jsonschema.Schema
		golden string
		// breaks the output so that the schema must reject it
		from, to string
	}{
		{FormatCycloneDX, func(t *testing.T) *jsonschema.Schema {
			dir := cyclonedxSchemaDir(t)
			const base = "http://cyclonedx.org/schema/"
			return compile(t, base+"bom-1.6.schema.json", map[string]string{
				base + "bom-1.6.schema.json":  filepath.Join(dir, "bom-1.6.schema.json"),
				base + "spdx.schema.json":     filepath.Join(dir, "spdx.schema.json"),
				base + "jsf-0.82.schema.json": filepath.Join(dir, "jsf-0.82.schemax.json"),
			})
		}, "testdata/app.cdx.golden.json", `"type": "library"`, `"type": "librarian"`},
		{FormatSPDXJSON, func(t *testing.T) *jsonschema.Schema {
			const id = "http://spdx.org/rdf/terms/2.3"
			return compile(t, id, map[string]string{id: "testdata/schema/spdx-2.3.schema.json"})
		}, "testdata/app.spdx.golden.json", `"spdxVersion"`, `"spdxVersionX"`},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, testDoc()); err != nil {
				t.Fatal(err)
			}
			sch := tc.schema(t)
			validate(t, sch, buf.Bytes())
			broken, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(buf.String(), tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if sch.Validate(broken) == nil {
				t.Errorf("the schema accepted a broken document (%s -> %s)", tc.from, tc.to)
			}
			if *update {
				if err := os.WriteFile(tc.golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(buf.String(), string(want)); d != "" {
				t.Errorf("output differs from %s (-got +want), run with -update if intended:\n%s", tc.golden, d)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	want := []Component{
		{Name: "golang.org/x/text", Version: "0.3.7", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.7"},
		{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", PURL: "pkg:pypi/flask@2.0.0"},
		{Name: "@types/node", Version: "20.1.0", Ecosystem: "npm", PURL: "pkg:npm/%40types/node@20.1.0"},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20"},
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, testDoc()); err != nil {
				t.Fatal(err)
			}
			in, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if in.Format != format {
				t.Errorf("format = %s, want %s", in.Format, format)
			}
			if d := cmp.Diff(in.Components, want); d != "" {
				t.Errorf("components (-got +want):\n%s", d)
			}
			if len(in.Problems) != 0 {
				t.Errorf("problems: %v", in.Problems)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, src string
		wantErr   string
		wantProbs int
	}{
		{"not json", "<bom/>", "not a CycloneDX or SPDX JSON document", 0},
		{"other json", `{"a":1}`, "not a CycloneDX or SPDX JSON document", 0},
		{"bad purl", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"x","type":"library","name":"x","purl":"pkg:"}]}`, "", 1},
		{"no version", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"x","type":"library","name":"x","purl":"pkg:npm/x"}]}`, "", 1},
		{"unknown type", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","purl":"pkg:generic/x@1"}]}`, "", 1},
		{"broken spdx", `{"spdxVersion":"SPDX-2.3","packages":7}`, "read spdx", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Read(strings.NewReader(tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Read error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Problems) != tc.wantProbs {
				t.Errorf("problems = %v, want %d", in.Problems, tc.wantProbs)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, format, testDoc()); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range in.Components {
			if c.Version == "" || c.Ecosystem == "" {
				t.Errorf("component without version or ecosystem: %+v", c)
			}
		}
	})
}
