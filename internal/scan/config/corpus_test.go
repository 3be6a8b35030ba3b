package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/bench/k8scorpus"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
)

// TestCorpusRuleCounts pins the total and per-rule finding counts on 2,000
// generated corpus documents (seed 1), so that a change made for speed in the
// policies or the engine cannot silently change what is found. Refresh with
// -update only for an intended change in the rules.
func TestCorpusRuleCounts(t *testing.T) {
	dir := t.TempDir()
	if _, err := k8scorpus.Generate(dir, 2_000, 1); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	target, err := scan.NewDir(dir, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := New(Options{Engine: eng})
	fs, err := (&scan.Runner{Analyzers: sc.Analyzers()}).Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.RuleID]++
	}
	lines := make([]string, 0, len(counts)+1)
	for id, n := range counts {
		lines = append(lines, fmt.Sprintf("%s %d", id, n))
	}
	sort.Strings(lines)
	got := fmt.Sprintf("total %d\n%s\n", len(fs), strings.Join(lines, "\n"))

	golden := filepath.Join("testdata", "corpus_counts.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(got, string(want)); diff != "" {
		t.Errorf("finding counts on the corpus changed (-got +want):\n%s", diff)
	}
}
