package config_test

import (
	"context"
	"testing"

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
	b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(findings), "findings")
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
