package config_test

import (
	"context"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
	"github.com/rampart-sec/rampart/internal/scan/config"
	"github.com/rampart-sec/rampart/policies"
)

// TestRuleFixtures scans every rule's fixtures through the whole scanner:
// policies/<input>/testdata/<rule-id>/fail* must give findings of that rule
// exactly on the lines marked "# want" (or below "# want-next", or line 1
// for "# want-file"), and pass* must give none of it.
func TestRuleFixtures(t *testing.T) {
	ctx := context.Background()
	eng, err := policy.Load(ctx, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, input := range []string{"kubernetes", "dockerfile"} {
		dirs, err := fs.ReadDir(policies.FS, input+"/testdata")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			ruleID := d.Name()
			if eng.Rule(ruleID) == nil {
				t.Errorf("fixtures %s/testdata/%s: no rule with that id", input, ruleID)
				continue
			}
			files, err := fs.ReadDir(policies.FS, path.Join(input, "testdata", ruleID))
			if err != nil {
				t.Fatal(err)
			}
			var sawPass, sawFail bool
			for _, f := range files {
				name := f.Name()
				p := path.Join(input, "testdata", ruleID, name)
				src, err := fs.ReadFile(policies.FS, p)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case strings.HasPrefix(name, "pass"):
					sawPass = true
				case strings.HasPrefix(name, "fail"):
					sawFail = true
				default:
					continue
				}
				t.Run(ruleID+"/"+name, func(t *testing.T) {
					got := scanFixture(t, eng, name, src, ruleID)
					want := wantLines(string(src))
					if strings.HasPrefix(name, "fail") && len(want) == 0 {
						t.Fatalf("fail fixture has no # want markers")
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("lines of %s findings (-want +got):\n%s", ruleID, diff)
					}
				})
			}
			if sawPass && sawFail {
				covered[ruleID] = true
			}
		}
	}
	for _, r := range eng.Rules() {
		if r.Input == policy.KindKubernetes || r.Input == policy.KindDockerfile || r.Input == policy.KindKubernetesSet {
			if !covered[r.ID] {
				t.Errorf("rule %s has no pass and fail fixtures in policies/%s/testdata/%s", r.ID, strings.TrimSuffix(r.Input, "_set"), r.ID)
			}
		}
	}
}

// scanFixture writes the fixture to a temp dir, scans it and returns the
// set of start lines of the rule's findings, sorted.
func scanFixture(t *testing.T, eng *policy.Engine, name string, src []byte, ruleID string) []int {
	t.Helper()
	dir := t.TempDir()
	fname := name
	if strings.HasSuffix(name, ".Dockerfile") {
		fname = "Dockerfile"
	}
	if err := os.WriteFile(path.Join(dir, fname), src, 0o644); err != nil {
		t.Fatal(err)
	}
	target, err := scan.NewDir(dir, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := config.New(config.Options{Engine: eng})
	r := scan.Runner{Analyzers: sc.Analyzers()}
	fs, err := r.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	lines := []int{}
	for _, f := range fs {
		if f.Kind == finding.KindError {
			t.Errorf("fixture does not parse: %s", f.Message)
		}
		if f.RuleID == ruleID {
			lines = append(lines, f.Location.StartLine)
		}
	}
	sort.Ints(lines)
	return slices.Compact(lines)
}

// wantLines reads the markers of a fixture.
func wantLines(src string) []int {
	lines := []int{}
	for i, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "# want-file":
			lines = append(lines, 1)
		case t == "# want-next":
			lines = append(lines, i+2)
		case strings.HasSuffix(t, "# want") && !strings.HasPrefix(t, "#"):
			lines = append(lines, i+1)
		}
	}
	sort.Ints(lines)
	return slices.Compact(lines)
}
