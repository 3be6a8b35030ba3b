package reach

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func loadRecords(t *testing.T) []Record {
	t.Helper()
	paths, err := filepath.Glob("testdata/records/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("records: %v", err)
	}
	var out []Record
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestWriteDB(t *testing.T) {
	dir := t.TempDir()
	npm := []byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`)
	if err := WriteDB(dir, append(loadRecords(t), npm)); err != nil {
		t.Fatal(err)
	}
	var mods []struct {
		Path  string `json:"path"`
		Vulns []struct {
			ID string `json:"id"`
		} `json:"vulns"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "index", "modules.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &mods); err != nil {
		t.Fatal(err)
	}
	if len(mods) != 1 || mods[0].Path != "golang.org/x/text" || len(mods[0].Vulns) != 3 {
		t.Errorf("modules.json = %s", b)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "index", "db.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(meta), `{"modified":"2026-01-03T00:00:00Z"}`; got != want {
		t.Errorf("db.json = %s, want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ID", "GHSA-aaaa-bbbb-cccc.json")); err == nil {
		t.Error("a non-Go record was written")
	}
	if err := WriteDB(t.TempDir(), []Record{[]byte(`{"id":"../x","affected":[]}`)}); err == nil {
		t.Error("an id with a path in it: want an error")
	}
}

func TestAnalyze(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("reachability needs the go command")
	}
	// The module's one dependency must be in the module cache (the
	// analysis runs with GOPROXY=off).
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(gomodcache)), "golang.org", "x", "text@v0.43.0")); err != nil {
		t.Skip("golang.org/x/text@v0.43.0 is not in the module cache")
	}
	got, err := Analyze(context.Background(), nil, "testdata/module", loadRecords(t), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// 0001: Parse is called. 0002: the package is imported, the symbol is
	// not called. 0003: fixed before v0.43.0, not reported at all.
	want := map[string]bool{"GO-9999-0001": true, "GO-9999-0002": false}
	if d := cmp.Diff(got.Reachable, want); d != "" {
		t.Errorf("reachable (-got +want):\n%s", d)
	}
}

func TestParseOutput(t *testing.T) {
	src := `{"config":{}}
{"finding":{"osv":"GO-1","trace":[{"module":"m"}]}}
{"finding":{"osv":"GO-1","trace":[{"module":"m","package":"m/p","function":"F"}]}}
{"finding":{"osv":"GO-2","trace":[{"module":"m","package":"m/p"}]}}
`
	got, err := parseOutput(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(got.Reachable, map[string]bool{"GO-1": true, "GO-2": false}); d != "" {
		t.Errorf("(-got +want):\n%s", d)
	}
	if _, err := parseOutput(strings.NewReader("{")); err == nil {
		t.Error("truncated output: want an error")
	}
}
