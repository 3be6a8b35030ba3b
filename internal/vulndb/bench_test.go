package vulndb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The machine the
// benchmarks run on is shared, so CPU time is reported beside wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportGo imports the whole Go database (4,291 records) from a
// local server into an empty directory.
func BenchmarkImportGo(b *testing.B) {
	srv := newOSVServer(b, map[string][]byte{"Go": goArchive(b)})
	base := b.TempDir()
	var cpu time.Duration
	for b.Loop() {
		start := cpuTime()
		dir, err := os.MkdirTemp(base, "db")
		if err != nil {
			b.Fatal(err)
		}
		res, err := Update(context.Background(), UpdateOptions{Dir: dir, BaseURL: srv.URL, Ecosystems: []string{"Go"}})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
		b.ReportMetric(float64(res.Ecosystems[0].Records), "records")
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// synthetic generates records over several ecosystems: each package gets
// a few records with one or two ranges, in each ecosystem's version style.
var syntheticEcosystems = []struct{ eco, nameFmt, verFmt string }{
	{"npm", "pkg-%d", "%d.%d.%d"},
	{"PyPI", "py_pkg.%d", "%d.%d.%d"},
	{"Maven", "org.example:artifact-%d", "%d.%d.%d"},
	{"Go", "example.com/mod%d", "%d.%d.%d"},
	{"crates.io", "crate%d", "%d.%d.%d"},
	{"RubyGems", "gem%d", "%d.%d.%d"},
	{"NuGet", "Example.Package%d", "%d.%d.%d"},
	{"Packagist", "vendor/package%d", "%d.%d.%d"},
}

const syntheticPackagesPerEcosystem = 5000

func syntheticArchives(b *testing.B, records int) map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	per := records / len(syntheticEcosystems)
	out := map[string][]byte{}
	for ei, se := range syntheticEcosystems {
		files := make(map[string][]byte, per)
		for r := range per {
			id := fmt.Sprintf("SYN-%d-%d", ei, r)
			name := fmt.Sprintf(se.nameFmt, rng.IntN(syntheticPackagesPerEcosystem))
			major := rng.IntN(5)
			intro := fmt.Sprintf(se.verFmt, major, rng.IntN(10), 0)
			fix := fmt.Sprintf(se.verFmt, major, 10+rng.IntN(10), rng.IntN(5))
			ranges := fmt.Sprintf(`{"type":"ECOSYSTEM","events":[{"introduced":%q},{"fixed":%q}]}`, intro, fix)
			if rng.IntN(3) == 0 {
				ranges += fmt.Sprintf(`,{"type":"ECOSYSTEM","events":[{"introduced":%q},{"last_affected":%q}]}`,
					fmt.Sprintf(se.verFmt, major+1, 0, 0), fmt.Sprintf(se.verFmt, major+1, rng.IntN(10), 9))
			}
			files[id+".json"] = fmt.Appendf(nil, `{"id":%q,"modified":"2025-01-01T00:00:00Z","summary":"synthetic",
				"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
				"affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[%s]}]}`, id, se.eco, name, ranges)
		}
		out[se.eco] = zipFiles(b, files)
	}
	return out
}

// BenchmarkMatch matches a 20,000-package lockfile set against a store of
// 100,000 synthetic records. Each iteration opens the store afresh (not
// timed) so no parsed range is cached from an earlier iteration.
func BenchmarkMatch(b *testing.B) {
	const records, lockfile = 100_000, 20_000
	srv := newOSVServer(b, syntheticArchives(b, records))
	dir := b.TempDir()
	var ecos []string
	for _, se := range syntheticEcosystems {
		ecos = append(ecos, se.eco)
	}
	if _, err := Update(context.Background(), UpdateOptions{Dir: dir, BaseURL: srv.URL, Ecosystems: ecos}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pkgs := make([]Package, lockfile)
	for i := range pkgs {
		se := syntheticEcosystems[rng.IntN(len(syntheticEcosystems))]
		// A quarter of the packages are not in the database at all.
		n := rng.IntN(syntheticPackagesPerEcosystem * 4 / 3)
		pkgs[i] = Package{se.eco, fmt.Sprintf(se.nameFmt, n), fmt.Sprintf(se.verFmt, rng.IntN(6), rng.IntN(20), rng.IntN(10))}
	}
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := cpuTime()
		res, err := s.Match(ctx, pkgs)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
		b.StopTimer()
		n := 0
		for _, r := range res {
			n += len(r)
		}
		b.ReportMetric(float64(n), "matches")
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
