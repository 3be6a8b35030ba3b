package vulndb

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testUpdate(t *testing.T, dir, url string, ecos ...string) (UpdateResult, error) {
	t.Helper()
	return Update(context.Background(), UpdateOptions{Dir: dir, BaseURL: url, Ecosystems: ecos})
}

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// matchIDs matches one package and returns id → fixed versions.
func matchIDs(t *testing.T, s *Store, p Package) map[string][]string {
	t.Helper()
	res, err := s.Match(context.Background(), []Package{p})
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	got := map[string][]string{}
	for _, m := range res[0] {
		got[m.Vuln.ID] = m.FixedVersions
	}
	return got
}

func TestRealGoRecords(t *testing.T) {
	srv := newOSVServer(t, map[string][]byte{"Go": goArchive(t)})
	dir := t.TempDir()
	res, err := testUpdate(t, dir, srv.URL, "Go")
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if res.ProblemCount != 0 {
		t.Errorf("problems importing the Go database: %v", res.Problems)
	}
	s := openTest(t, dir)
	m, _ := s.Meta().Ecosystem("Go")
	if m.Records+m.Withdrawn != 4291 {
		t.Errorf("records %d + withdrawn %d, want 4291", m.Records, m.Withdrawn)
	}

	// golang.org/x/net at a 2019 pseudo-version: the records that name it
	// and the fixed versions they give.
	got := matchIDs(t, s, Package{"Go", "golang.org/x/net", "v0.0.0-20190620200207-3b0461eec859"})
	want := map[string][]string{
		"GO-2021-0238": {"0.0.0-20210520170846-37e1c6afe023"},
		"GO-2022-0236": {"0.0.0-20210428140749-89ef3d95e781"},
		"GO-2022-0288": {"0.0.0-20211209124913-491a49abca63"},
		"GO-2022-0536": {"0.0.0-20190813141303-74dc4d7220e7"},
		"GO-2022-0969": {"0.0.0-20220906165146-f3363e06e74c"},
		"GO-2022-1144": {"0.4.0"},
		"GO-2023-1571": {"0.7.0"},
		"GO-2023-1988": {"0.13.0"},
		"GO-2023-2102": {"0.17.0"},
		"GO-2024-2687": {"0.23.0"},
		"GO-2024-3333": {"0.33.0"},
		"GO-2025-3503": {"0.36.0"},
		"GO-2025-3595": {"0.38.0"},
		"GO-2026-4440": {"0.45.0"},
		"GO-2026-4441": {"0.45.0"},
		"GO-2026-4918": {"0.53.0"},
		"GO-2026-5025": {"0.55.0"},
		"GO-2026-5026": {"0.55.0"},
		"GO-2026-5027": {"0.55.0"},
		"GO-2026-5028": {"0.55.0"},
		"GO-2026-5029": {"0.55.0"},
		"GO-2026-5030": {"0.55.0"},
		"GO-2026-5942": {"0.56.0"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("golang.org/x/net matches (-got +want):\n%s", diff)
	}

	// gin 1.6.0; and a version past every fix matches nothing.
	got = matchIDs(t, s, Package{"Go", "github.com/gin-gonic/gin", "v1.6.0"})
	want = map[string][]string{"GO-2021-0052": {"1.7.7"}, "GO-2023-1737": {"1.9.1"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("gin matches (-got +want):\n%s", diff)
	}
	if got := matchIDs(t, s, Package{"Go", "github.com/gin-gonic/gin", "v1.99.0"}); len(got) != 0 {
		t.Errorf("gin v1.99.0 matched %v, want nothing", got)
	}

	// The standard library, named as a toolchain version.
	got = matchIDs(t, s, Package{"Go", "stdlib", "go1.20.3"})
	if len(got) != 79 {
		t.Errorf("stdlib go1.20.3: %d matches, want 79", len(got))
	}
	if diff := cmp.Diff(got["GO-2023-1751"], []string{"1.20.4"}); diff != "" {
		t.Errorf("GO-2023-1751 fixed versions (-got +want):\n%s", diff)
	}
	if _, ok := got["GO-2022-0969"]; ok {
		t.Error("GO-2022-0969 (fixed in 1.19.1) matched go1.20.3")
	}

	// Lookup returns every record naming the package, with its raw JSON.
	vs, err := s.Lookup(context.Background(), "go", "golang.org/x/net")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 30 {
		t.Errorf("Lookup golang.org/x/net: %d records, want 30", len(vs))
	}
	for _, v := range vs {
		if !bytes.Contains(v.Raw, []byte(`"id": "`+v.ID+`"`)) {
			t.Errorf("%s: Raw is not the original record", v.ID)
		}
	}
}

func TestUpdateOtherEcosystems(t *testing.T) {
	srv := newOSVServer(t, otherArchives(t))
	dir := t.TempDir()
	res, err := testUpdate(t, dir, srv.URL, "npm", "pypi", "Maven", "crates.io")
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	// The crates.io record's unknown range type is reported with its id.
	if res.ProblemCount != 1 || res.Problems[0].ID != "RUSTSEC-0001" || !strings.Contains(res.Problems[0].Err, `"FANCY"`) {
		t.Errorf("problems = %v, want the FANCY range of RUSTSEC-0001", res.Problems)
	}
	s := openTest(t, dir)
	ecos, err := s.Ecosystems()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ecos, []string{"Maven", "PyPI", "crates.io", "npm"}); diff != "" {
		t.Errorf("indexed ecosystems (-got +want):\n%s", diff)
	}
	npm, _ := s.Meta().Ecosystem("npm")
	if npm.Records != 1 || npm.Withdrawn != 1 {
		t.Errorf("npm records %d withdrawn %d, want 1 and 1", npm.Records, npm.Withdrawn)
	}
	tests := []struct {
		pkg  Package
		want map[string][]string
	}{
		{Package{"npm", "lodash", "4.17.20"}, map[string][]string{"GHSA-aaaa-0001": {"4.17.21"}}},
		{Package{"npm", "lodash", "4.17.21"}, map[string][]string{}},
		{Package{"PyPI", "django-rest-framework", "3.9.0"}, map[string][]string{"PYSEC-0001": {"3.9.1rc1"}}},
		{Package{"pypi", "Django.Rest_Framework", "3.9.1"}, map[string][]string{}},
		{Package{"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"}, map[string][]string{"GHSA-mmmm-0001": {"2.15.0"}}},
		{Package{"Maven", "org.apache.logging.log4j:log4j-core", "2.12.2"}, map[string][]string{}},
		{Package{"Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9"}, map[string][]string{"GHSA-mmmm-0001": {"2.3.1", "2.12.2", "2.15.0"}}},
		{Package{"crates.io", "smallvec", "1.6.0"}, map[string][]string{"RUSTSEC-0001": nil}},
		{Package{"crates.io", "smallvec", "1.6.1"}, map[string][]string{}},
		{Package{"RubyGems", "rack", "1.0"}, map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg.Ecosystem+"/"+tt.pkg.Name+"@"+tt.pkg.Version, func(t *testing.T) {
			got := matchIDs(t, s, tt.pkg)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("matches (-got +want):\n%s", diff)
			}
		})
	}
	vs, err := s.Lookup(context.Background(), "npm", "lodash")
	if err != nil || len(vs) != 1 {
		t.Fatalf("Lookup lodash = %d, %v; want 1 record", len(vs), err)
	}
	if v := vs[0]; v.Severity.String() != "critical" || v.Aliases[0] != "CVE-2025-0001" {
		t.Errorf("lodash record: severity %v aliases %v", v.Severity, v.Aliases)
	}
}

func TestUpdateSkipsUnchanged(t *testing.T) {
	archives := otherArchives(t)
	archives["Go"] = goArchive(t)
	srv := newOSVServer(t, archives)
	dir := t.TempDir()
	clock := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	update := func() UpdateResult {
		t.Helper()
		res, err := Update(context.Background(), UpdateOptions{Dir: dir, BaseURL: srv.URL,
			Ecosystems: []string{"Go", "npm"}, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		return res
	}
	statuses := func(res UpdateResult) map[string]string {
		m := map[string]string{}
		for _, e := range res.Ecosystems {
			m[e.Name] = e.Status
		}
		return m
	}
	update()
	dbPath := filepath.Join(dir, fileName)
	before, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing changed: both answered 304, the file is not rebuilt, but the
	// check is recorded.
	clock = clock.Add(48 * time.Hour)
	res := update()
	if diff := cmp.Diff(statuses(res), map[string]string{"Go": StatusUnchanged, "npm": StatusUnchanged}); diff != "" {
		t.Errorf("statuses (-got +want):\n%s", diff)
	}
	if full, notMod := srv.counts("Go"); full != 1 || notMod != 1 {
		t.Errorf("Go archive: %d full and %d not-modified responses, want 1 and 1", full, notMod)
	}
	after, _ := os.Stat(dbPath)
	if !os.SameFile(before, after) {
		t.Error("an update with nothing new replaced the database file")
	}
	s := openTest(t, dir)
	if got := s.Meta().Age(clock); got != 0 {
		t.Errorf("age after a confirming check = %v, want 0", got)
	}
	s.Close()

	// A server without validators: the content hash still detects that
	// npm is unchanged.
	srv.mu.Lock()
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/npm/") {
			return false
		}
		w.Write(archives["npm"])
		return true
	}
	srv.mu.Unlock()
	res = update()
	if got := statuses(res)["npm"]; got != StatusUnchanged {
		t.Errorf("npm without validators: %s, want unchanged by hash", got)
	}
	srv.mu.Lock()
	srv.hook = nil
	srv.mu.Unlock()

	// npm changes: npm is imported again, Go is copied across unchanged.
	changed := map[string][]byte{}
	for k, v := range otherRecords["npm"] {
		changed[k] = v
	}
	changed["GHSA-aaaa-0003.json"] = []byte(`{"id":"GHSA-aaaa-0003","modified":"2025-03-01T00:00:00Z",
		"affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}`)
	srv.set("npm", zipFiles(t, changed))
	res = update()
	if diff := cmp.Diff(statuses(res), map[string]string{"Go": StatusUnchanged, "npm": StatusUpdated}); diff != "" {
		t.Errorf("statuses (-got +want):\n%s", diff)
	}
	s = openTest(t, dir)
	if got := matchIDs(t, s, Package{"npm", "minimist", "1.2.5"}); len(got) != 1 {
		t.Errorf("minimist 1.2.5: %v, want GHSA-aaaa-0003", got)
	}
	if got := matchIDs(t, s, Package{"Go", "github.com/gin-gonic/gin", "v1.6.0"}); len(got) != 2 {
		t.Errorf("Go data after copying: gin v1.6.0 has %d matches, want 2", len(got))
	}
	if m, _ := s.Meta().Ecosystem("Go"); m.Records+m.Withdrawn != 4291 {
		t.Errorf("Go metadata after copying: %+v", m)
	}
}

func TestUpdateFailureKeepsOldDatabase(t *testing.T) {
	archives := otherArchives(t)
	srv := newOSVServer(t, archives)
	dir := t.TempDir()
	if _, err := testUpdate(t, dir, srv.URL, "npm", "PyPI"); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, fileName)
	old, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("cancelled midway", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// npm changes, then the update is cancelled while PyPI downloads.
		changed := zipFiles(t, map[string][]byte{"GHSA-aaaa-0001.json": otherRecords["npm"]["GHSA-aaaa-0001.json"]})
		srv.set("npm", changed)
		defer srv.set("npm", archives["npm"])
		srv.mu.Lock()
		srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasPrefix(r.URL.Path, "/PyPI/") {
				return false
			}
			w.Header().Set("Content-Length", "1000000")
			w.Write([]byte("PK"))
			w.(http.Flusher).Flush()
			cancel()
			<-r.Context().Done()
			return true
		}
		srv.mu.Unlock()
		defer func() { srv.mu.Lock(); srv.hook = nil; srv.mu.Unlock() }()
		_, err := Update(ctx, UpdateOptions{Dir: dir, BaseURL: srv.URL, Ecosystems: []string{"npm", "PyPI"}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update error = %v, want context.Canceled", err)
		}
		got, err := os.ReadFile(dbPath)
		if err != nil || !bytes.Equal(got, old) {
			t.Fatalf("the database changed after a cancelled update (err %v)", err)
		}
		if tmps, _ := filepath.Glob(filepath.Join(dir, tempPattern)); len(tmps) != 0 {
			t.Errorf("temporary files left: %v", tmps)
		}
		s := openTest(t, dir)
		if got := matchIDs(t, s, Package{"npm", "lodash", "1.0.0"}); len(got) != 1 {
			t.Errorf("old database after a cancelled update: lodash matches %v", got)
		}
	})

	t.Run("truncated archive keeps that ecosystem's data", func(t *testing.T) {
		npm := archives["npm"]
		srv.set("npm", npm[:len(npm)/2])
		defer srv.set("npm", npm)
		pypi := zipFiles(t, map[string][]byte{"PYSEC-0002.json": []byte(`{"id":"PYSEC-0002","modified":"2025-01-02T00:00:00Z",
			"affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31.0"}]}]}]}`)})
		srv.set("PyPI", pypi)
		defer srv.set("PyPI", archives["PyPI"])
		res, err := testUpdate(t, dir, srv.URL, "npm", "PyPI")
		if !errors.Is(err, ErrUpdateIncomplete) || !errors.Is(err, zip.ErrFormat) {
			t.Fatalf("Update error = %v, want ErrUpdateIncomplete with zip.ErrFormat", err)
		}
		if res.Ecosystems[0].Status != StatusFailed || res.Ecosystems[1].Status != StatusUpdated {
			t.Errorf("statuses: %+v", res.Ecosystems)
		}
		s := openTest(t, dir)
		if got := matchIDs(t, s, Package{"npm", "lodash", "1.0.0"}); len(got) != 1 {
			t.Errorf("npm after a failed download: lodash matches %v, want the old record", got)
		}
		if got := matchIDs(t, s, Package{"PyPI", "requests", "2.30.0"}); len(got) != 1 {
			t.Errorf("PyPI after its update: requests matches %v", got)
		}
	})

	t.Run("server error", func(t *testing.T) {
		_, err := testUpdate(t, dir, srv.URL, "NuGet")
		if !errors.Is(err, ErrUpdateIncomplete) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("Update error = %v, want a 404", err)
		}
		s := openTest(t, dir)
		if _, ok := s.Meta().Ecosystem("npm"); !ok {
			t.Error("npm lost after an update of another ecosystem failed")
		}
	})
}

func TestArchiveLimits(t *testing.T) {
	record := otherRecords["npm"]["GHSA-aaaa-0001.json"]
	zeros := make([]byte, 1<<20)
	// bomb holds one entry that decompresses to 40 MiB of zeros (~40 KiB
	// compressed), declared honestly.
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("BOMB-1.json")
		for range 40 {
			w.Write(zeros)
		}
		w2, _ := zw.Create("GHSA-aaaa-0001.json")
		w2.Write(record)
		zw.Close()
		return buf.Bytes()
	}()
	// lyingBomb declares 100 bytes for the same 40 MiB.
	lyingBomb := func() []byte {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		for range 40 {
			fw.Write(zeros)
		}
		fw.Close()
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "BOMB-2.json", Method: zip.Deflate,
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100, CRC32: 1})
		w.Write(comp.Bytes())
		w2, _ := zw.Create("GHSA-aaaa-0001.json")
		w2.Write(record)
		zw.Close()
		return buf.Bytes()
	}()
	// spread holds three 4 MiB entries, each under the record limit.
	spread := func() []byte {
		files := map[string][]byte{}
		for _, n := range []string{"A.json", "B.json", "C.json"} {
			files[n] = bytes.Repeat([]byte(" "), 4<<20)
		}
		return zipFiles(t, files)
	}()
	corrupt := func() []byte {
		b := zipFiles(t, map[string][]byte{
			"A-1.json":            bytes.Repeat([]byte(" "), 4096),
			"GHSA-aaaa-0001.json": otherRecords["npm"]["GHSA-aaaa-0001.json"],
		})
		// Flip bytes inside the first entry's compressed data: its CRC
		// check fails, the second entry is still read.
		i := bytes.Index(b, []byte("A-1.json")) + len("A-1.json")
		b[i+1] ^= 0xff
		b[i+2] ^= 0xff
		return b
	}()
	tests := []struct {
		name        string
		archive     []byte
		maxTotal    int64
		wantErr     error
		wantRecords int
		wantProblem string
	}{
		{"entry declaring more than the record limit is skipped", bomb, 0, nil, 1, "BOMB-1.json: declares 41943040 bytes"},
		{"entry decompressing past its declared size is skipped", lyingBomb, 0, nil, 1, "BOMB-2.json: decompress"},
		{"archive over the total limit fails", spread, 8 << 20, ErrArchiveTooLarge, 0, ""},
		{"corrupt entry is skipped", corrupt, 0, nil, 1, "A-1.json"},
		{"not a zip", []byte("<html>mirror error page</html>"), 0, zip.ErrFormat, 0, ""},
		{"empty", nil, 0, zip.ErrFormat, 0, ""},
		{"record that is not JSON", zipFiles(t, map[string][]byte{"X.json": []byte("{"), "GHSA-aaaa-0001.json": otherRecords["npm"]["GHSA-aaaa-0001.json"]}), 0, nil, 1, "X.json"},
		{"non-JSON entry", zipFiles(t, map[string][]byte{"README": []byte("hi")}), 0, nil, 0, "not a .json record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newOSVServer(t, map[string][]byte{"npm": tt.archive})
			dir := t.TempDir()
			res, err := Update(context.Background(), UpdateOptions{Dir: dir, BaseURL: srv.URL,
				Ecosystems: []string{"npm"}, MaxTotalSize: tt.maxTotal})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Update error = %v, want %v", err, tt.wantErr)
				}
				if _, statErr := os.Stat(filepath.Join(dir, fileName)); statErr == nil {
					t.Error("a database was written from a failed archive alone")
				}
				return
			}
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if got := res.Ecosystems[0].Records; got != tt.wantRecords {
				t.Errorf("records = %d, want %d", got, tt.wantRecords)
			}
			if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), tt.wantProblem) {
				t.Errorf("problems = %v, want one mentioning %q", res.Problems, tt.wantProblem)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(context.Background(), t.TempDir())
	if !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Open of an empty directory: %v, want ErrNoDatabase", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, fileName), []byte("not bolt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir); err == nil {
		t.Error("Open of a corrupt file succeeded")
	}
}

func TestConcurrentMatch(t *testing.T) {
	srv := newOSVServer(t, otherArchives(t))
	dir := t.TempDir()
	if _, err := testUpdate(t, dir, srv.URL, "npm", "PyPI"); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, dir)
	// Enough packages to spread over workers, alternating hits and misses.
	pkgs := make([]Package, 2000)
	for i := range pkgs {
		if i%2 == 0 {
			pkgs[i] = Package{"npm", "lodash", "4.0.0"}
		} else {
			pkgs[i] = Package{"PyPI", "absent", "1.0"}
		}
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			res, err := s.Match(context.Background(), pkgs)
			if err == nil {
				for i, r := range res {
					if want := 1 - i%2; len(r) != want {
						err = fmt.Errorf("package %d: %d matches, want %d", i, len(r), want)
						break
					}
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestMirrorPasswordRedacted(t *testing.T) {
	srv := newOSVServer(t, otherArchives(t))
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	dir := t.TempDir()
	_, err := testUpdate(t, dir, u, "npm", "NuGet")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "404") {
		t.Errorf("error %v: want a 404 without the password", err)
	}
	s := openTest(t, dir)
	m := s.Meta()
	npm, _ := m.Ecosystem("npm")
	if strings.Contains(m.SourceURL, "s3cret") || strings.Contains(npm.URL, "s3cret") {
		t.Errorf("password stored in the metadata: %q %q", m.SourceURL, npm.URL)
	}
}
