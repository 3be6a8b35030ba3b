package config

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/bench/k8scorpus"
	"github.com/rampart-sec/rampart/internal/policy"
)

// BenchmarkDecideCorpus evaluates the policies on 2,000 corpus documents
// parsed beforehand: the Rego share of a scan on its own, steadier than
// BenchmarkScanCorpus for A/B tests of policy or engine changes.
func BenchmarkDecideCorpus(b *testing.B) {
	const docs = 2_000
	dir := b.TempDir()
	if _, err := k8scorpus.Generate(dir, docs, 1); err != nil {
		b.Fatal(err)
	}
	var all []Document
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		nodes, errs := readYAMLNodes(src)
		if len(errs) > 0 {
			b.Fatalf("%s: %v", path, errs)
		}
		ds, errs := kubernetesDocuments(nodes)
		if len(errs) > 0 {
			b.Fatalf("%s: %v", path, errs)
		}
		all = append(all, ds...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(all) != docs {
		b.Fatalf("parsed %d documents, want %d", len(all), docs)
	}
	ctx := context.Background()
	eng, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var results int
	b.ResetTimer()
	cpu0 := processCPU(b)
	for b.Loop() {
		results = 0
		for _, d := range all {
			dec, err := eng.Decide(ctx, policy.Query{Kind: policy.KindKubernetes, Input: d.Value, ResourceKind: d.Kind})
			if err != nil {
				b.Fatal(err)
			}
			results += len(dec.Results)
		}
	}
	// CPU rather than wall time per document: the machine may be shared.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N*docs), "cpu-µs/doc")
	b.ReportMetric(float64(results), "results")
}

// processCPU is the user+sys CPU time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
