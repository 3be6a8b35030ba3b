package deps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/scan"
)

// writeLargeLock writes a package-lock.json v3 with n packages, the size of
// a large front-end application's lockfile.
func writeLargeLock(b *testing.B, dir string, n int) int64 {
	b.Helper()
	var sb strings.Builder
	sb.WriteString(`{"name":"big","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"big","version":"1.0.0","dependencies":{"pkg-0":"^1.0.0"}}`)
	for i := range n {
		fmt.Fprintf(&sb, ",\n    \"node_modules/pkg-%d\": {\n      \"version\": \"1.%d.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.%d.0.tgz\",\n      \"integrity\": \"sha512-AAAA\"\n    }", i, i%50, i, i, i%50)
	}
	sb.WriteString("\n}}\n")
	p := filepath.Join(dir, "package-lock.json")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return int64(sb.Len())
}

// cpuTime is the process's CPU time: on a loaded machine it is steadier
// than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkExtractLargeLockfile(b *testing.B) {
	dir := b.TempDir()
	size := writeLargeLock(b, dir, 5000)
	b.SetBytes(size)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		x, err := NewExtractor(dir, scan.DefaultMaxFileSize, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := scan.NewDir(dir, scan.DirOptions{})
		if err != nil {
			b.Fatal(err)
		}
		r := scan.Runner{Analyzers: []scan.Analyzer{x}}
		if _, err := r.Run(context.Background(), d); err != nil {
			b.Fatal(err)
		}
		if got := len(x.Packages()); got != 5000 {
			b.Fatalf("%d packages, want 5000", got)
		}
	}
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}
