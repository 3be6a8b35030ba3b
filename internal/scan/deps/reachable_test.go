package deps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

func TestMarkReachable(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("reachability needs the go command")
	}
	mc, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(mc)), "golang.org", "x", "text@v0.43.0")); err != nil {
		t.Skip("golang.org/x/text@v0.43.0 is not in the module cache")
	}
	root := filepath.Join("reach", "testdata")
	records := map[string][][]byte{}
	for _, id := range []string{"GO-9999-0001", "GO-9999-0002"} {
		b, err := os.ReadFile(filepath.Join(root, "records", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		records["golang.org/x/text"] = append(records["golang.org/x/text"], b)
	}
	var looked []string
	lookup := func(_ context.Context, eco, name string) ([][]byte, error) {
		looked = append(looked, eco+"/"+name)
		return records[name], nil
	}
	pkgs := []Package{
		{Name: "golang.org/x/text", Version: "0.43.0", Ecosystem: "Go", Path: "module/go.mod", Line: 5},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "web/package-lock.json"},
	}
	vuln := func(id string, p Package) finding.Finding {
		return NewFinding(p, Advisory{ID: id, FixedVersions: []string{"0.99.0"}})
	}
	fs := []finding.Finding{
		vuln("GO-9999-0001", pkgs[0]),
		vuln("GO-9999-0002", pkgs[0]),
		vuln("GHSA-xxxx-yyyy-zzzz", pkgs[1]),
	}
	warnings := MarkReachable(context.Background(), root, pkgs, fs, ReachOptions{Lookup: lookup})
	if len(warnings) != 0 {
		t.Fatalf("warnings: %v", warnings)
	}
	var got []*bool
	for _, f := range fs {
		got = append(got, f.Package.Reachable)
	}
	yes, no := true, false
	if d := cmp.Diff(got, []*bool{&yes, &no, nil}); d != "" {
		t.Errorf("reachable (-got +want):\n%s", d)
	}
	if !strings.HasSuffix(fs[0].Message, "(reachable: the module calls vulnerable code)") || strings.Contains(fs[2].Message, "reachable") {
		t.Errorf("messages: %q, %q", fs[0].Message, fs[2].Message)
	}
	if d := cmp.Diff(looked, []string{"Go/golang.org/x/text"}); d != "" {
		t.Errorf("lookups (-got +want):\n%s", d)
	}
}

func TestMarkReachableFailureWarns(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n\ngo 1.22\n\nrequire example.com/absent v1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n\nimport _ \"example.com/absent\"\n\nfunc main() {}\n"), 0o644)
	p := Package{Name: "example.com/absent", Version: "1.0.0", Ecosystem: "Go", Path: "go.mod", Line: 5}
	fs := []finding.Finding{NewFinding(p, Advisory{ID: "GO-9999-0001"})}
	lookup := func(context.Context, string, string) ([][]byte, error) { return nil, nil }
	warnings := MarkReachable(context.Background(), root, []Package{p}, fs, ReachOptions{Lookup: lookup})
	if len(warnings) != 1 || !strings.Contains(warnings[0], "reachability not analysed") {
		t.Errorf("warnings = %v, want one saying the analysis failed", warnings)
	}
	if fs[0].Package.Reachable != nil {
		t.Errorf("Reachable set after a failed analysis")
	}
}
