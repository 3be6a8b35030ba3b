//go:build !gatewayonly

package cli_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testOSVMirror serves <Ecosystem>/all.zip archives like the OSV bucket: Go from
// the whole Go vulnerability database in ../shared/testdata/osv-go, npm and
// PyPI from hand-written records in testdata/osv.
func testOSVMirror(t *testing.T) *httptest.Server {
	t.Helper()
	goDir := filepath.Join(repoRoot, "..", "shared", "testdata", "osv-go")
	if _, err := os.Stat(goDir); err != nil {
		t.Skipf("outside test data absent (%s): %v", goDir, err)
	}
	archives := map[string][]byte{
		"Go":   zipDir(t, goDir),
		"npm":  zipDir(t, "testdata/osv/npm"),
		"PyPI": zipDir(t, "testdata/osv/PyPI"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		eco, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
		b, found := archives[eco]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no records in %s: %v", dir, err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// copyDir copies the example project to a temporary checkout.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type vulnReport struct {
	Findings []struct {
		RuleID      string   `json:"rule_id"`
		Kind        string   `json:"kind"`
		Severity    string   `json:"severity"`
		Title       string   `json:"title"`
		Remediation string   `json:"remediation"`
		Aliases     []string `json:"aliases"`
		Location    struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
		} `json:"location"`
		Package *struct {
			Name          string   `json:"name"`
			Version       string   `json:"version"`
			Ecosystem     string   `json:"ecosystem"`
			PURL          string   `json:"purl"`
			FixedVersions []string `json:"fixed_versions"`
			Relationship  string   `json:"relationship"`
		} `json:"package"`
		Secret *struct {
			Match string `json:"match"`
		} `json:"secret"`
		Suppressed  bool `json:"suppressed"`
		Suppression *struct {
			Reason string `json:"reason"`
		} `json:"suppression"`
	} `json:"findings"`
}

// vulnRow is one vulnerability finding reduced to what the records decide.
type vulnRow struct {
	ID, Package, Version, Path string
	Line                       int
	Fixed                      string
	Relationship               string
	Suppressed                 bool
}

func vulnRows(t *testing.T, out string) ([]vulnRow, vulnReport) {
	t.Helper()
	var rep vulnReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, out)
	}
	var rows []vulnRow
	for _, f := range rep.Findings {
		if f.Kind != "vulnerability" {
			continue
		}
		rows = append(rows, vulnRow{
			ID: f.RuleID, Package: f.Package.Name, Version: f.Package.Version, Path: f.Location.Path, Line: f.Location.StartLine,
			Fixed: strings.Join(f.Package.FixedVersions, ","), Relationship: f.Package.Relationship, Suppressed: f.Suppressed,
		})
	}
	slices.SortFunc(rows, func(a, b vulnRow) int { return strings.Compare(a.Path+a.ID, b.Path+b.ID) })
	return rows, rep
}

const fakeAWSKey = "AKIAQ4J2XKZ7RN5TBW3M"

func TestScanFSEndToEnd(t *testing.T) {
	srv := testOSVMirror(t)
	db := t.TempDir()
	updateDB(t, srv.URL, db)
	app := copyDir(t, filepath.Join(repoRoot, "examples", "vulnerable-app"))
	// A malformed lockfile is an error finding; the rest is scanned.
	os.MkdirAll(filepath.Join(app, "broken"), 0o755)
	os.WriteFile(filepath.Join(app, "broken", "package-lock.json"), []byte(`{"lockfileVersion": 3, "packages": {`), 0o644)

	code, out, stderr := run(t, nil, "scan", "fs", "--db-dir", db, "--format", "json", "--fail-on", "high", app)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings at or above high); stderr:\n%s", code, stderr)
	}
	got, rep := vulnRows(t, out)
	want := []vulnRow{
		{ID: "GO-2022-1059", Package: "golang.org/x/text", Version: "0.3.7", Path: "go.mod", Line: 6, Fixed: "0.3.8", Relationship: "direct"},
		{ID: "GO-2026-5970", Package: "golang.org/x/text", Version: "0.3.7", Path: "go.mod", Line: 6, Fixed: "0.39.0", Relationship: "direct"},
	}
	want = append(want, goNetWant(t, got)...)
	want = append(want,
		vulnRow{ID: "GHSA-rmp4-lodash-0001", Package: "lodash", Version: "4.17.20", Path: "package-lock.json", Line: 14, Fixed: "4.17.21", Relationship: "direct"},
		vulnRow{ID: "GHSA-rmp4-minimist-0002", Package: "minimist", Version: "1.2.5", Path: "package-lock.json", Line: 19, Fixed: "1.2.6", Relationship: "transitive"},
		vulnRow{ID: "PYSEC-2099-101", Package: "flask", Version: "2.0.0", Path: "requirements.txt", Line: 2, Fixed: "2.2.5,2.3.2", Relationship: "direct"},
		vulnRow{ID: "PYSEC-2099-102", Package: "requests", Version: "2.25.1", Path: "requirements.txt", Line: 3, Fixed: "2.31.0", Relationship: "direct"},
	)
	slices.SortFunc(want, func(a, b vulnRow) int { return strings.Compare(a.Path+a.ID, b.Path+b.ID) })
	if d := cmp.Diff(got, want); d != "" {
		t.Errorf("vulnerabilities (-got +want):\n%s", d)
	}
	for _, f := range rep.Findings {
		if f.RuleID == "GHSA-rmp4-lodash-0001" {
			if f.Remediation != "upgrade lodash to 4.17.21" || f.Severity != "high" || !slices.Contains(f.Aliases, "CVE-2099-0101") {
				t.Errorf("lodash finding: remediation %q severity %q aliases %v", f.Remediation, f.Severity, f.Aliases)
			}
		}
	}
	var brokenReported bool
	for _, f := range rep.Findings {
		if f.Kind == "error" && f.Location.Path == "broken/package-lock.json" {
			brokenReported = true
		}
	}
	if !brokenReported {
		t.Errorf("the malformed lockfile was not reported as an error finding")
	}
	// The planted key is found, and appears nowhere in the output.
	var secret bool
	for _, f := range rep.Findings {
		if f.Kind == "secret" && f.Location.Path == "config/settings.env" && f.Location.StartLine == 4 {
			secret = true
		}
	}
	if !secret {
		t.Errorf("the planted AWS key in config/settings.env:4 was not reported")
	}
	if strings.Contains(out, fakeAWSKey) || strings.Contains(stderr, fakeAWSKey) {
		t.Errorf("the secret leaked into the output unredacted")
	}

	// --ignore-unfixed keeps everything here (every record has a fix);
	// --scanners vuln drops the secret; an ignore entry by alias and a VEX
	// statement suppress one finding each.
	os.WriteFile(filepath.Join(app, ".rampartignore.yaml"), []byte("ignore:\n  - rule: CVE-2099-0201\n    package: flask\n    reason: not deployed\n"), 0o644)
	vexDoc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","statements":[
	  {"vulnerability":{"name":"GHSA-rmp4-lodash-0001"},"products":[{"@id":"pkg:npm/lodash@4.17.20"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`
	vexPath := filepath.Join(t.TempDir(), "app.openvex.json")
	os.WriteFile(vexPath, []byte(vexDoc), 0o644)
	code, out, stderr = run(t, nil, "scan", "fs", "--db-dir", db, "--scanners", "vuln", "--vex", vexPath, "--show-suppressed", "--format", "json", app)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	got, rep = vulnRows(t, out)
	suppressed := map[string]bool{}
	for _, r := range got {
		if r.Suppressed {
			suppressed[r.ID] = true
		}
	}
	if d := cmp.Diff(suppressed, map[string]bool{"PYSEC-2099-101": true, "GHSA-rmp4-lodash-0001": true}); d != "" {
		t.Errorf("suppressed (-got +want):\n%s", d)
	}
	for _, f := range rep.Findings {
		if f.Kind == "secret" {
			t.Errorf("--scanners vuln reported a secret")
		}
	}
}

// TestScanFSInsideHelmChart: the config scanner claims a chart's files;
// the dependency and secret scanners must still see them.
func TestScanFSInsideHelmChart(t *testing.T) {
	srv := testOSVMirror(t)
	db := t.TempDir()
	updateDB(t, srv.URL, db)
	dir := t.TempDir()
	chart := filepath.Join(dir, "chart")
	os.MkdirAll(filepath.Join(chart, "templates"), 0o755)
	os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644)
	os.WriteFile(filepath.Join(chart, "templates", "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n      securityContext:\n        privileged: true\n"), 0o644)
	lock, err := os.ReadFile(filepath.Join(repoRoot, "examples", "vulnerable-app", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(chart, "package-lock.json"), lock, 0o644)
	os.WriteFile(filepath.Join(chart, "values.yaml"), []byte("aws_key: "+fakeAWSKey+"\n"), 0o644)
	code, out, stderr := run(t, nil, "scan", "fs", "--db-dir", db, "--format", "json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, rep := vulnRows(t, out)
	kinds := map[string]bool{}
	for _, f := range rep.Findings {
		kinds[f.Kind] = true
	}
	if d := cmp.Diff(kinds, map[string]bool{"vulnerability": true, "secret": true, "misconfiguration": true}); d != "" {
		t.Errorf("finding kinds in a chart (-got +want):\n%s", d)
	}
}

// goNetWant lists what the Go database says about golang.org/x/net v0.7.0,
// which the example requires indirectly: those advisories come from the
// real records and are checked for shape, not listed by hand.
func goNetWant(t *testing.T, got []vulnRow) []vulnRow {
	t.Helper()
	var out []vulnRow
	for _, r := range got {
		if r.Package != "golang.org/x/net" {
			continue
		}
		if r.Relationship != "transitive" || r.Line != 7 || r.Fixed == "" {
			t.Errorf("golang.org/x/net finding: %+v", r)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		t.Errorf("no advisory for golang.org/x/net v0.7.0")
	}
	return out
}

func TestSBOMAndScanSBOM(t *testing.T) {
	srv := testOSVMirror(t)
	db := t.TempDir()
	updateDB(t, srv.URL, db)
	app := filepath.Join(repoRoot, "examples", "vulnerable-app")
	for _, format := range []string{"cyclonedx", "spdx-json"} {
		t.Run(format, func(t *testing.T) {
			bom := filepath.Join(t.TempDir(), "bom.json")
			if code, _, stderr := run(t, nil, "sbom", app, "--format", format, "--output", bom); code != 0 {
				t.Fatalf("sbom: exit %d: %s", code, stderr)
			}
			code, out, stderr := run(t, nil, "scan", "sbom", "--db-dir", db, "--format", "json", bom)
			if code != 0 {
				t.Fatalf("scan sbom: exit %d: %s", code, stderr)
			}
			got, _ := vulnRows(t, out)
			ids := map[string]bool{}
			for _, r := range got {
				ids[r.ID] = true
				if r.Line == 0 || r.Path != filepath.ToSlash(bom) {
					t.Errorf("finding not located in the SBOM: %+v", r)
				}
			}
			for _, id := range []string{"GO-2022-1059", "GHSA-rmp4-lodash-0001", "GHSA-rmp4-minimist-0002", "PYSEC-2099-101", "PYSEC-2099-102"} {
				if !ids[id] {
					t.Errorf("%s not found through the %s SBOM", id, format)
				}
			}
			if ids["GHSA-rmp4-lodash-0003"] {
				t.Errorf("an advisory fixed before the version in use matched")
			}
		})
	}
}

// TestScanFSDownloadsMissingDatabase: without --offline a scan fetches a
// missing database from --db-url, and warns about one older than
// --db-max-age.
func TestScanFSDownloadsMissingDatabase(t *testing.T) {
	srv := testOSVMirror(t)
	db := filepath.Join(t.TempDir(), "db")
	app := copyDir(t, filepath.Join(repoRoot, "examples", "vulnerable-app"))
	code, out, stderr := run(t, nil, "scan", "fs", "--scanners", "vuln", "--db-dir", db, "--db-url", srv.URL, "--format", "json", app)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "downloading") {
		t.Errorf("stderr does not say the database is being downloaded:\n%s", stderr)
	}
	if !strings.Contains(out, `"GO-2022-1059"`) {
		t.Errorf("the downloaded database did not match GO-2022-1059:\n%.2000s", out)
	}
	code, _, stderr = run(t, nil, "scan", "fs", "--offline", "--scanners", "vuln", "--db-dir", db, "--db-max-age", "1ns", "--format", "json", app)
	if code != 0 || !strings.Contains(stderr, "older than --db-max-age") {
		t.Errorf("exit %d, stderr %q; want 0 and a stale-database warning", code, stderr)
	}
}

func TestScanFSUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scanner", []string{"scan", "fs", "--scanners", "vuln,virus", "."}, `unknown scanner "virus"`},
		{"history without secrets", []string{"scan", "fs", "--scanners", "vuln", "--git-history", "."}, "--git-history needs the secret scanner"},
		{"no database offline", []string{"scan", "fs", "--offline", "--scanners", "vuln", "--db-dir", "/nonexistent-rampart-db", "."}, "no vulnerability database"},
		{"bad vex", []string{"scan", "fs", "--vex", "go.mod", "."}, "not an OpenVEX JSON document"},
		{"not a repo", []string{"scan", "repo", "--scanners", "secret", "examples"}, "not a git checkout"},
		{"sbom format", []string{"sbom", "--format", "xml", "."}, `--format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestScanRepoGitHistory(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("needs git")
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command(gitBin, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "deploy.env"), []byte("AWS_ACCESS_KEY_ID="+fakeAWSKey+"\n"), 0o644)
	git("add", ".")
	git("commit", "-q", "-m", "add config")
	os.WriteFile(filepath.Join(repo, "deploy.env"), []byte("AWS_ACCESS_KEY_ID=${FROM_VAULT}\n"), 0o644)
	git("commit", "-q", "-am", "remove key")

	// The working tree is clean; only the history has the key.
	code, out, stderr := run(t, nil, "scan", "repo", "--scanners", "secret", "--format", "json", "--fail-on", "high", repo)
	if code != 0 {
		t.Fatalf("without --git-history: exit %d, want 0; stderr %s\n%s", code, stderr, out)
	}
	code, out, stderr = run(t, nil, "scan", "repo", "--scanners", "secret", "--git-history", "--format", "json", "--fail-on", "high", repo)
	if code != 1 {
		t.Fatalf("with --git-history: exit %d, want 1; stderr %s", code, stderr)
	}
	if !strings.Contains(out, `"commit"`) || strings.Contains(out, fakeAWSKey) {
		t.Errorf("want a redacted finding with its commit:\n%s", out)
	}
}

// TestScanFSReachability runs the whole chain for a Go module with source:
// db update from a mirror, scan fs, govulncheck over the records of the
// store, and --reachable-only deciding the exit code.
func TestScanFSReachability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs govulncheck")
	}
	modSrc := filepath.Join(repoRoot, "internal", "scan", "deps", "reach", "testdata", "module")
	mc, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env: %v", err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(mc)), "golang.org", "x", "text@v0.43.0")); err != nil {
		t.Skip("golang.org/x/text@v0.43.0 is not in the module cache")
	}
	// Only the advisory whose symbol the module never calls.
	recs := t.TempDir()
	b, err := os.ReadFile(filepath.Join(modSrc, "..", "records", "GO-9999-0002.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(recs, "GO-9999-0002.json"), b, 0o644)
	zipped := zipDir(t, recs)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Go/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(zipped)
	}))
	t.Cleanup(srv.Close)
	db := t.TempDir()
	if code, _, stderr := run(t, nil, "db", "update", "--db-dir", db, "--db-url", srv.URL, "--ecosystems", "Go"); code != 0 {
		t.Fatalf("db update: exit %d: %s", code, stderr)
	}
	mod := copyDir(t, modSrc)

	code, out, stderr := run(t, nil, "scan", "fs", "--scanners", "vuln", "--db-dir", db, "--format", "json", "--fail-on", "unknown", mod)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID  string `json:"rule_id"`
			Package struct {
				Reachable *bool `json:"reachable"`
			} `json:"package"`
		} `json:"findings"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "GO-9999-0002" || rep.Findings[0].Package.Reachable == nil || *rep.Findings[0].Package.Reachable {
		t.Fatalf("want GO-9999-0002 marked unreachable, got %s", out)
	}
	code, _, stderr = run(t, nil, "scan", "fs", "--scanners", "vuln", "--db-dir", db, "--format", "json", "--fail-on", "unknown", "--reachable-only", mod)
	if code != 0 {
		t.Errorf("--reachable-only: exit %d, want 0 (the only advisory is unreachable); stderr %s", code, stderr)
	}
}
