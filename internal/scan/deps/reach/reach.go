// Package reach decides whether the Go vulnerabilities of a module are
// reachable from its code, by running govulncheck (golang.org/x/vuln/scan)
// as a library against a vulnerability database written from Rampart's own
// store, so that no network is needed.
package reach

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/vuln/scan"
)

// DefaultTimeout bounds one module's analysis: call-graph construction on
// a large module takes minutes, and a scan must finish.
const DefaultTimeout = 3 * time.Minute

// maxOutput bounds govulncheck's JSON output kept in memory.
const maxOutput = 64 << 20

// Record is one OSV record in JSON, as the store keeps it.
type Record = []byte

// Result is what govulncheck found for one module: for every OSV id it
// reported, whether a vulnerable symbol is called.
type Result struct {
	// Reachable maps an OSV id to true when a vulnerable function is
	// reachable from the module's packages, false when the vulnerable
	// module or package is only required or imported.
	Reachable map[string]bool
}

// Analyze runs govulncheck in source mode on moduleDir (a directory with a
// go.mod and Go source) with the given OSV records as its database. An
// advisory absent from Result.Reachable was not reported at all: no
// vulnerable code of it is reachable.
func Analyze(ctx context.Context, log *slog.Logger, moduleDir string, records []Record, timeout time.Duration) (*Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dbDir, err := os.MkdirTemp("", "rampart-govulndb-")
	if err != nil {
		return nil, fmt.Errorf("reachability: %w", err)
	}
	defer os.RemoveAll(dbDir)
	if err := WriteDB(dbDir, records); err != nil {
		return nil, fmt.Errorf("reachability: %w", err)
	}
	abs, err := filepath.Abs(moduleDir)
	if err != nil {
		return nil, fmt.Errorf("reachability: %w", err)
	}
	var stdout bytes.Buffer
	var stderr bytes.Buffer
	cmd := scan.Command(ctx, "-db", "file://"+filepath.ToSlash(dbDir), "-format", "json", "-C", abs, "./...")
	cmd.Stdin = bytes.NewReader(nil)
	cmd.Stdout = &limitedWriter{w: &stdout, n: maxOutput}
	cmd.Stderr = &limitedWriter{w: &stderr, n: 1 << 20}
	// The module's dependencies come from the module cache; the analysis
	// must not fetch anything, switch toolchains, edit go.mod (GOFLAGS is
	// cleared of a user's -mod=mod) or run a C compiler on the scanned
	// code's cgo directives.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off", "CGO_ENABLED=0")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("reachability: start govulncheck: %w", err)
	}
	err = cmd.Wait()
	log.Debug("govulncheck finished", "module", moduleDir, "duration", time.Since(start), "err", err)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("reachability of %s: gave up after %s: %w", moduleDir, timeout, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("reachability of %s: govulncheck: %w: %s", moduleDir, err, firstLines(stderr.String(), 5))
	}
	return parseOutput(&stdout)
}

// message is the part of govulncheck's JSON stream used here: findings,
// each with a trace whose first frame is the vulnerable symbol, package or
// module.
type message struct {
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module   string `json:"module"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func parseOutput(r io.Reader) (*Result, error) {
	res := &Result{Reachable: map[string]bool{}}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reachability: read govulncheck output: %w", err)
		}
		if m.Finding == nil || m.Finding.OSV == "" {
			continue
		}
		called := len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != ""
		res.Reachable[m.Finding.OSV] = res.Reachable[m.Finding.OSV] || called
	}
}

// limitedWriter stops keeping output past n bytes (and says so by failing,
// which makes govulncheck stop).
type limitedWriter struct {
	w io.Writer
	n int64
}

var errOutputTooLarge = errors.New("govulncheck output over the limit")

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errOutputTooLarge
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

func firstLines(s string, n int) string {
	lines := bytes.SplitN([]byte(s), []byte("\n"), n+1)
	return string(bytes.Join(lines[:min(n, len(lines))], []byte("; ")))
}

// HasGoSource reports whether dir (a module root) holds Go source of its
// own, outside vendor and testdata: without it there is nothing to analyze.
func HasGoSource(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		if d.IsDir() && p != dir && slices.Contains([]string{"vendor", "testdata", ".git", "node_modules"}, d.Name()) {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(p) == ".go" {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
