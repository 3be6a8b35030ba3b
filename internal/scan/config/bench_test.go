package config_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/bench/k8scorpus"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
	"github.com/rampart-sec/rampart/internal/scan/config"
)

// BenchmarkScanCorpus scans the generated 10,000-document corpus with every
// bundled policy, through the same runner the CLI uses (walk, parse, one
// prepared query per input kind, parallel evaluation, set-level rules).
// Loading the policies is done once, as in a CLI run, and excluded.
func BenchmarkScanCorpus(b *testing.B) {
	const docs = 10_000
	dir := b.TempDir()
	if _, err := k8scorpus.Generate(dir, docs, 1); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	eng, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var findings int
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for b.Loop() {
		target, err := scan.NewDir(dir, scan.DirOptions{})
		if err != nil {
			b.Fatal(err)
		}
		sc := config.New(config.Options{Engine: eng})
		r := scan.Runner{Analyzers: sc.Analyzers()}
		fs, err := r.Run(ctx, target)
		if err != nil {
			b.Fatal(err)
		}
		findings = len(fs)
	}
	// CPU time (user+sys of the whole process) is the number to compare on
	// a machine shared with other builds: wall time there measures the load.
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(findings), "findings")
}

// cpuTime is the user+sys CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadPolicies measures parsing, compiling and preparing every
// bundled policy: the fixed cost of each CLI run.
func BenchmarkLoadPolicies(b *testing.B) {
	for b.Loop() {
		if _, err := policy.Load(context.Background(), policy.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
