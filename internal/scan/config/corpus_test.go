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
	"github.com/rampart-sec/rampart/internal/finding"
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
	fs := scanDir(t, eng, dir)
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

// TestEvaluatorsAgree scans the examples, every rule fixture and 2,000
// corpus documents with the plan evaluator (the default) and with OPA's
// topdown, and requires the same findings, field for field: planeval is
// hand-written, topdown is the reference.
func TestEvaluatorsAgree(t *testing.T) {
	corpus := t.TempDir()
	if _, err := k8scorpus.Generate(corpus, 2_000, 1); err != nil {
		t.Fatal(err)
	}
	roots := []string{
		corpus,
		filepath.Join("..", "..", "..", "examples"),
		filepath.Join("..", "..", "..", "policies", "kubernetes", "testdata"),
		filepath.Join("..", "..", "..", "policies", "dockerfile", "testdata"),
	}
	ctx := context.Background()
	scanAll := func(evaluator string) []string {
		eng, err := policy.Load(ctx, policy.Options{Evaluator: evaluator})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, root := range roots {
			for _, f := range scanDir(t, eng, root) {
				out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d-%d|%s|%v|%s", root, f.RuleID, f.Location.Path, f.Location.Field,
					f.Location.StartLine, f.Location.EndLine, f.Message, f.Resource, f.Kind))
			}
		}
		sort.Strings(out)
		return out
	}
	plan, topdown := scanAll(policy.EvaluatorPlan), scanAll(policy.EvaluatorTopdown)
	if len(plan) < 10_000 {
		t.Fatalf("only %d findings: the roots were not scanned", len(plan))
	}
	if diff := cmp.Diff(topdown, plan); diff != "" {
		t.Errorf("plan evaluator and topdown disagree (-topdown +plan):\n%s", diff)
	}
}

// scanDir runs the config scanner over a directory with the given engine.
func scanDir(t *testing.T, eng *policy.Engine, dir string) []finding.Finding {
	t.Helper()
	target, err := scan.NewDir(dir, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := New(Options{Engine: eng})
	fs, err := (&scan.Runner{Analyzers: sc.Analyzers()}).Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
