//go:build !gatewayonly

package cli_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// osvMirror serves npm/all.zip with one record, like a mirror of the OSV
// bucket would.
func osvMirror(t *testing.T) *httptest.Server {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("GHSA-test-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"id":"GHSA-test-0001","modified":"2025-01-02T00:00:00Z",
		"affected":[{"package":{"ecosystem":"npm","name":"lodash"},
		"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/npm/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "all.zip", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(archive))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDBUpdateAndStatus(t *testing.T) {
	srv := osvMirror(t)
	dir := t.TempDir()

	code, out, errOut := run(t, nil, "db", "update", "--db-dir", dir, "--db-url", srv.URL, "--ecosystems", "npm")
	if code != 0 {
		t.Fatalf("db update: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "npm") || !strings.Contains(out, "updated") {
		t.Errorf("db update output:\n%s", out)
	}

	// The environment mirrors the flags; an unchanged archive is skipped.
	code, out, errOut = run(t, map[string]string{"RAMPART_DB_URL": srv.URL, "RAMPART_DB_DIR": dir},
		"db", "update", "--ecosystems", "npm")
	if code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second db update: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = run(t, nil, "db", "status", "--db-dir", dir)
	if code != 0 {
		t.Fatalf("db status: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Source:   " + srv.URL, "ECOSYSTEM", "npm"} {
		if !strings.Contains(out, want) {
			t.Errorf("db status output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = run(t, nil, "db", "status", "--db-dir", dir, "--max-age", "1ns")
	if code != 0 || !strings.Contains(out, "stale") {
		t.Errorf("db status --max-age 1ns: exit %d, want a stale note:\n%s", code, out)
	}

	code, out, _ = run(t, nil, "db", "status", "--db-dir", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("db status --format json: exit %d", code)
	}
	var st struct {
		Stale      bool `json:"stale"`
		Ecosystems []struct {
			Name    string `json:"name"`
			Records int    `json:"records"`
		} `json:"ecosystems"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	if st.Stale || len(st.Ecosystems) != 1 || st.Ecosystems[0].Name != "npm" || st.Ecosystems[0].Records != 1 {
		t.Errorf("status = %+v", st)
	}
}

func TestDBExitCodes(t *testing.T) {
	srv := osvMirror(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"status without a database", []string{"db", "status", "--db-dir", t.TempDir()}, 3},
		{"update with a bad URL", []string{"db", "update", "--db-dir", t.TempDir(), "--db-url", "ftp://x"}, 2},
		{"update with a bad ecosystem", []string{"db", "update", "--db-dir", t.TempDir(), "--db-url", srv.URL, "--ecosystems", "a/b"}, 2},
		{"update of a missing archive", []string{"db", "update", "--db-dir", t.TempDir(), "--db-url", srv.URL, "--ecosystems", "PyPI"}, 3},
		{"status with a bad format", []string{"db", "status", "--format", "xml"}, 2},
		{"update takes no arguments", []string{"db", "update", "Go"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out, errOut := run(t, nil, tt.args...)
			if got != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", got, tt.want, out, errOut)
			}
		})
	}
}
