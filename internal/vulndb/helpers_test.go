package vulndb

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// osvGoDir is ../shared/testdata/osv-go relative to the repository root.
func osvGoDir(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", "testdata", "osv-go")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("outside test data %s is absent (see shared/testdata/README.md): %v", dir, err)
	}
	return dir
}

// zipFiles builds a zip of name → content, in name order.
func zipFiles(tb testing.TB, files map[string][]byte) []byte {
	tb.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(files[n]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// goArchive zips the real Go records.
func goArchive(tb testing.TB) []byte {
	tb.Helper()
	dir := osvGoDir(tb)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no records in %s: %v", dir, err)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	return zipFiles(tb, files)
}

// osvServer serves <Ecosystem>/all.zip archives from memory with an ETag
// and Last-Modified, so conditional GETs work as against the OSV bucket.
type osvServer struct {
	*httptest.Server
	mu       sync.Mutex
	archives map[string][]byte
	full     map[string]int // 200 responses per path
	notMod   map[string]int // 304 responses per path
	// hook, when set, may take over a request.
	hook func(w http.ResponseWriter, r *http.Request) bool
}

var archiveTime = time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)

func newOSVServer(tb testing.TB, archives map[string][]byte) *osvServer {
	tb.Helper()
	s := &osvServer{archives: archives, full: map[string]int{}, notMod: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *osvServer) set(eco string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.archives[eco] = data
}

func (s *osvServer) counts(eco string) (full, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := "/" + eco + "/all.zip"
	return s.full[p], s.notMod[p]
}

func (s *osvServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	eco, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
	s.mu.Lock()
	data, found := s.archives[eco]
	s.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(data)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	rec := &statusRecorder{ResponseWriter: w}
	http.ServeContent(rec, r, "all.zip", archiveTime, bytes.NewReader(data))
	s.mu.Lock()
	if rec.status == http.StatusNotModified {
		s.notMod[r.URL.Path]++
	} else {
		s.full[r.URL.Path]++
	}
	s.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Small hand-written records for other ecosystems.
var otherRecords = map[string]map[string][]byte{
	"npm": {
		"GHSA-aaaa-0001.json": []byte(`{"id":"GHSA-aaaa-0001","modified":"2025-01-02T00:00:00Z","published":"2025-01-01T00:00:00Z",
			"aliases":["CVE-2025-0001"],"summary":"prototype pollution in lodash",
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
			"affected":[{"package":{"ecosystem":"npm","name":"lodash"},
			"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`),
		"GHSA-aaaa-0002.json": []byte(`{"id":"GHSA-aaaa-0002","modified":"2025-01-02T00:00:00Z","withdrawn":"2025-02-01T00:00:00Z",
			"affected":[{"package":{"ecosystem":"npm","name":"lodash"},
			"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`),
	},
	"PyPI": {
		"PYSEC-0001.json": []byte(`{"id":"PYSEC-0001","modified":"2025-01-02T00:00:00Z",
			"database_specific":{"severity":"MODERATE"},
			"affected":[{"package":{"ecosystem":"PyPI","name":"Django_REST.framework"},
			"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.0"},{"fixed":"3.9.1rc1"}]}],
			"versions":["3.0","3.9.0"]}]}`),
	},
	"Maven": {
		"GHSA-mmmm-0001.json": []byte(`{"id":"GHSA-mmmm-0001","modified":"2025-01-02T00:00:00Z",
			"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
			"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.3.1"},{"introduced":"2.4"},{"fixed":"2.12.2"},{"introduced":"2.13.0"},{"fixed":"2.15.0"}]}]}]}`),
	},
	"crates.io": {
		"RUSTSEC-0001.json": []byte(`{"id":"RUSTSEC-0001","modified":"2025-01-02T00:00:00Z",
			"affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
			"ranges":[{"type":"SEMVER","events":[{"introduced":"0.6.3"},{"fixed":"0.6.10"},{"introduced":"1.0.0"},{"last_affected":"1.6.0"}]},
			{"type":"FANCY","events":[{"introduced":"0"}]}]}]}`),
	},
}

func otherArchives(tb testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for eco, files := range otherRecords {
		out[eco] = zipFiles(tb, files)
	}
	return out
}
