package deps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

func extractDir(t *testing.T, root string) ([]Package, []finding.Finding) {
	t.Helper()
	x, err := NewExtractor(root, scan.DefaultMaxFileSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := scan.NewDir(root, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := scan.Runner{Analyzers: []scan.Analyzer{x}}
	fs, err := r.Run(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return x.Packages(), fs
}

func TestExtract(t *testing.T) {
	got, errs := extractDir(t, "testdata/project")
	want := []Package{
		{Name: "smallvec", Version: "1.6.0", Ecosystem: "crates.io", PURL: "pkg:cargo/smallvec@1.6.0", Path: "Cargo.lock", Line: 4, Extractor: "rust/cargolock"},
		{Name: "golang.org/x/text", Version: "0.3.7", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.7", Path: "go.mod", Line: 6, Relationship: "direct", Extractor: "go/gomod"},
		{Name: "github.com/gin-gonic/gin", Version: "1.9.0", Ecosystem: "Go", PURL: "pkg:golang/github.com/gin-gonic/gin@1.9.0", Path: "go.mod", Line: 7, Relationship: "transitive", Extractor: "go/gomod"},
		{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", PURL: "pkg:pypi/flask@2.0.0", Path: "requirements.txt", Line: 2, Relationship: "direct", Extractor: "python/requirements"},
		{Name: "requests", Version: "2.25.1", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.25.1", Path: "requirements.txt", Line: 3, Relationship: "direct", Extractor: "python/requirements"},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20?source=PUBLIC_REGISTRY", Path: "web/package-lock.json", Line: 14, Relationship: "direct", Extractor: "javascript/packagelockjson"},
		{Name: "minimist", Version: "1.2.5", Ecosystem: "npm", PURL: "pkg:npm/minimist@1.2.5?source=PUBLIC_REGISTRY", Path: "web/package-lock.json", Line: 18, Relationship: "transitive", Extractor: "javascript/packagelockjson"},
	}
	// jinja2>=3.0 has no pinned version; the extractor may report it with
	// an empty version, which matching skips.
	got = filterVersioned(got)
	if d := cmp.Diff(got, want, cmpopts.SortSlices(func(a, b Package) bool { return a.Path+a.Name < b.Path+b.Name })); d != "" {
		t.Errorf("packages (-got +want):\n%s", d)
	}
	type errAt struct {
		Path string
		Line int
	}
	var gotErrs []errAt
	for _, e := range errs {
		if e.Kind != finding.KindError {
			t.Errorf("not an error finding: %+v", e)
		}
		gotErrs = append(gotErrs, errAt{e.Location.Path, e.Location.StartLine})
	}
	// JSON syntax errors point at the line of the offending byte (a
	// truncated one-line file: its only line).
	wantErrs := []errAt{{"broken/package-lock.json", 1}, {"broken2/package-lock.json", 4}}
	if d := cmp.Diff(gotErrs, wantErrs, cmpopts.SortSlices(func(a, b errAt) bool { return a.Path < b.Path })); d != "" {
		t.Errorf("error findings (-got +want):\n%s", d)
	}
}

func filterVersioned(ps []Package) []Package {
	var out []Package
	for _, p := range ps {
		if p.Version != "" {
			out = append(out, p)
		}
	}
	return out
}

type fakeMatcher map[Query][]Advisory

func (f fakeMatcher) Match(_ context.Context, qs []Query) ([][]Advisory, error) {
	out := make([][]Advisory, len(qs))
	for i, q := range qs {
		out[i] = f[q]
	}
	return out, nil
}

func TestFindings(t *testing.T) {
	pkgs := []Package{
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20", Path: "package-lock.json", Line: 14, Relationship: "direct"},
		{Name: "minimist", Version: "1.2.5", Ecosystem: "npm", Path: "package-lock.json", Line: 18},
		{Name: "jinja2", Ecosystem: "PyPI", Path: "requirements.txt", Line: 4},
		{Name: "example.com/app", Version: "(devel)", Ecosystem: "Go", Path: "bin/app"},
	}
	m := fakeMatcher{
		{Ecosystem: "npm", Name: "lodash", Version: "4.17.20"}: {{
			ID: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Summary: "Command injection in lodash",
			Details: "details", References: []string{"https://example.test/a"}, Severity: finding.SeverityHigh,
			FixedVersions: []string{"4.17.21"},
		}},
		{Ecosystem: "npm", Name: "minimist", Version: "1.2.5"}:         {{ID: "GHSA-xvch-5gv4-984h", Severity: finding.SeverityCritical}},
		{Ecosystem: "Go", Name: "example.com/app", Version: "(devel)"}: {{ID: "GO-must-not-match"}},
	}
	tests := []struct {
		name    string
		opts    MatchOptions
		wantIDs []string
	}{
		{"all", MatchOptions{}, []string{"GHSA-35jh-r3h4-6jhm", "GHSA-xvch-5gv4-984h"}},
		{"ignore unfixed", MatchOptions{IgnoreUnfixed: true}, []string{"GHSA-35jh-r3h4-6jhm"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := Findings(context.Background(), m, pkgs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range fs {
				ids = append(ids, f.RuleID)
			}
			if d := cmp.Diff(ids, tc.wantIDs); d != "" {
				t.Errorf("ids (-got +want):\n%s", d)
			}
		})
	}
	fs, _ := Findings(context.Background(), m, pkgs, MatchOptions{})
	got := fs[0]
	want := finding.Finding{
		RuleID: "GHSA-35jh-r3h4-6jhm", Kind: finding.KindVulnerability, Severity: finding.SeverityHigh, Layer: finding.LayerCode,
		Title: "Command injection in lodash", Message: "lodash 4.17.20 (npm) is affected by GHSA-35jh-r3h4-6jhm: Command injection in lodash",
		Description: "details", Remediation: "upgrade lodash to 4.17.21", Controls: []string{},
		References: []string{"https://example.test/a"}, Aliases: []string{"CVE-2021-23337"},
		Location: finding.Location{Path: "package-lock.json", StartLine: 14, EndLine: 14},
		Package:  &finding.Package{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.20", FixedVersions: []string{"4.17.21"}, Relationship: "direct"},
	}
	if d := cmp.Diff(got, want, cmpopts.IgnoreFields(finding.Finding{}, "Fingerprint")); d != "" {
		t.Errorf("finding (-got +want):\n%s", d)
	}
	if fs[1].Remediation == "" || fs[1].Package.FixedVersions != nil {
		t.Errorf("unfixed finding: %+v", fs[1])
	}
}

func TestLineIndex(t *testing.T) {
	src := []byte("react-dom 1.0.0\nreact:\n  version 2.0.0\nreact 3.0.0\n")
	x := newLineIndex(src)
	tests := []struct {
		name, pkg, version string
		want               int
	}{
		{"not a prefix match", "react", "2.0.0", 2},
		{"same line", "react", "3.0.0", 2}, // within the window of the first mention
		{"unknown version falls back to first mention", "react", "9.9.9", 2},
		{"missing", "vue", "1.0.0", 0},
		{"exact", "react-dom", "1.0.0", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := x.find(tc.pkg, tc.version); got != tc.want {
				t.Errorf("find(%q, %q) = %d, want %d", tc.pkg, tc.version, got, tc.want)
			}
		})
	}
}

func TestExtractGoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644)
	root := t.TempDir()
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", filepath.Join(root, "bin", "hello"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got, errs := extractDir(t, root)
	if len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	var stdlib *Package
	for i := range got {
		if got[i].Name == "stdlib" {
			stdlib = &got[i]
		}
	}
	want := strings.TrimPrefix(runtime.Version(), "go")
	if stdlib == nil || stdlib.Version != want || stdlib.Ecosystem != "Go" || stdlib.Path != "bin/hello" {
		t.Errorf("stdlib package from the binary = %+v, want version %s at bin/hello", stdlib, want)
	}
}

func TestExtractFormats(t *testing.T) {
	tests := []struct {
		dir  string
		want Package // Line > 0 is checked separately
	}{
		{"yarn", Package{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "yarn.lock"}},
		{"pnpm", Package{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "pnpm-lock.yaml", Relationship: "direct"}},
		{"pnpm", Package{Name: "minimist", Version: "1.2.5", Ecosystem: "npm", Path: "pnpm-lock.yaml", Relationship: "transitive"}},
		{"pnpm9", Package{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "pnpm-lock.yaml", Relationship: "direct"}},
		{"pnpm9", Package{Name: "minimist", Version: "1.2.5", Ecosystem: "npm", Path: "pnpm-lock.yaml", Relationship: "transitive"}},
		{"poetry", Package{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", Path: "poetry.lock"}},
		{"pipfile", Package{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", Path: "Pipfile.lock"}},
		{"uv", Package{Name: "flask", Version: "2.0.0", Ecosystem: "PyPI", Path: "uv.lock"}},
		{"gem", Package{Name: "rack", Version: "2.0.0", Ecosystem: "RubyGems", Path: "Gemfile.lock", Relationship: "direct"}},
		{"composer", Package{Name: "guzzlehttp/guzzle", Version: "7.4.0", Ecosystem: "Packagist", Path: "composer.lock"}},
		{"pom", Package{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", Path: "pom.xml"}},
		{"gradle", Package{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", Path: "gradle.lockfile"}},
		{"nuget", Package{Name: "Newtonsoft.Json", Version: "12.0.1", Ecosystem: "NuGet", Path: "packages.lock.json", Relationship: "direct"}},
		{"nuget", Package{Name: "System.Memory", Version: "4.5.4", Ecosystem: "NuGet", Path: "packages.lock.json", Relationship: "transitive"}},
		{"pub", Package{Name: "http", Version: "0.13.0", Ecosystem: "Pub", Path: "pubspec.lock", Relationship: "direct"}},
		{"pub", Package{Name: "meta", Version: "1.8.0", Ecosystem: "Pub", Path: "pubspec.lock", Relationship: "transitive"}},
		{"gem", Package{Name: "rack-test", Version: "1.1.0", Ecosystem: "RubyGems", Path: "Gemfile.lock", Relationship: "transitive"}},
	}
	for _, tc := range tests {
		t.Run(tc.dir+"/"+tc.want.Name, func(t *testing.T) {
			got, errs := extractDir(t, filepath.Join("testdata", "formats", tc.dir))
			if len(errs) != 0 {
				t.Fatalf("errors: %+v", errs)
			}
			var found *Package
			for i := range got {
				if got[i].Name == tc.want.Name {
					found = &got[i]
				}
			}
			if found == nil {
				t.Fatalf("%s not found in %+v", tc.want.Name, got)
			}
			if found.Line <= 0 || found.PURL == "" {
				t.Errorf("no line or purl: %+v", *found)
			}
			g := Package{Name: found.Name, Version: found.Version, Ecosystem: found.Ecosystem, Path: found.Path, Relationship: found.Relationship}
			if d := cmp.Diff(g, tc.want); d != "" {
				t.Errorf("(-got +want):\n%s", d)
			}
		})
	}
}
