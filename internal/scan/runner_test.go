package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// memTarget is an in-memory target.
type memTarget struct {
	files   map[string]string
	readErr map[string]error
	walkErr error
}

func (m *memTarget) Root() string { return "mem" }
func (m *memTarget) FS() fs.FS    { return nil }
func (m *memTarget) Close() error { return nil }

func (m *memTarget) Walk(ctx context.Context, fn WalkFunc) error {
	if m.walkErr != nil {
		return m.walkErr
	}
	paths := make([]string, 0, len(m.files))
	for p := range m.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := m.files[p], m.readErr[p]
		f := NewFile(p, int64(len(data)), func() ([]byte, error) {
			if err != nil {
				return nil, err
			}
			return []byte(data), nil
		})
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// fakeAnalyzer reports one finding per file it matches, with the file's
// content as message, and records what it saw.
type fakeAnalyzer struct {
	name    string
	ext     string // files it matches
	analyze func(f File) ([]finding.Finding, error)

	mu   sync.Mutex
	seen []string
}

func (a *fakeAnalyzer) Name() string { return a.name }

func (a *fakeAnalyzer) Match(p string, d fs.DirEntry) bool {
	if d.Name() != filepath.Base(p) || d.IsDir() {
		panic("Match got a bad DirEntry")
	}
	return strings.HasSuffix(p, a.ext)
}

func (a *fakeAnalyzer) Analyze(_ context.Context, f File) ([]finding.Finding, error) {
	a.mu.Lock()
	a.seen = append(a.seen, f.Path)
	a.mu.Unlock()
	if a.analyze != nil {
		return a.analyze(f)
	}
	b, err := f.Read()
	if err != nil {
		return nil, err
	}
	return []finding.Finding{{RuleID: a.name, Message: string(b), Location: finding.Location{Path: f.Path}}}, nil
}

func (a *fakeAnalyzer) saw() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]string(nil), a.seen...)
	sort.Strings(out)
	return out
}

// preparer claims files.
type preparer struct {
	fakeAnalyzer
	claim []string
	err   error
	files []string
}

func (p *preparer) Prepare(_ context.Context, _ Target, files []File) ([]string, error) {
	for _, f := range files {
		p.files = append(p.files, f.Path)
	}
	return p.claim, p.err
}

// finisher reports once at the end.
type finisher struct {
	fakeAnalyzer
	err error
}

func (f *finisher) Finish(context.Context) ([]finding.Finding, error) {
	if f.err != nil {
		return nil, f.err
	}
	return []finding.Finding{{RuleID: f.name + "-finish", Message: fmt.Sprint(len(f.saw()))}}, nil
}

// result is a finding as the runner tests compare it.
type result struct {
	Rule, Path, Msg string
	Line            int
	Kind            finding.Kind
}

func results(fs []finding.Finding) []result {
	out := []result{}
	for _, f := range fs {
		out = append(out, result{Rule: f.RuleID, Path: f.Location.Path, Msg: f.Message, Line: f.Location.StartLine, Kind: f.Kind})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func TestRunnerDispatch(t *testing.T) {
	target := &memTarget{files: map[string]string{"a.yaml": "A", "b.yaml": "B", "c.txt": "C", "chart/Chart.yaml": "chart", "chart/t.yaml": "T"}}
	yaml := &fakeAnalyzer{name: "yaml", ext: ".yaml"}
	txt := &fakeAnalyzer{name: "txt", ext: ".txt"}
	all := &fakeAnalyzer{name: "all", ext: ""}
	// helm claims the chart's files: only it may see them, and it matches
	// only Chart.yaml.
	helm := &preparer{fakeAnalyzer: fakeAnalyzer{name: "helm", ext: "Chart.yaml"}, claim: []string{"chart/Chart.yaml", "chart/t.yaml"}}
	// A second claim of the same file loses to the first.
	late := &preparer{fakeAnalyzer: fakeAnalyzer{name: "late", ext: "t.yaml"}, claim: []string{"chart/t.yaml"}}
	fin := &finisher{fakeAnalyzer: fakeAnalyzer{name: "fin", ext: ".txt"}}
	r := Runner{Analyzers: []Analyzer{helm, late, yaml, txt, all, fin}, Workers: 3}
	fs, err := r.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	want := []result{
		{Rule: "all", Path: "a.yaml", Msg: "A"},
		{Rule: "all", Path: "b.yaml", Msg: "B"},
		{Rule: "all", Path: "c.txt", Msg: "C"},
		{Rule: "fin", Path: "c.txt", Msg: "C"},
		{Rule: "fin-finish", Msg: "1"},
		{Rule: "helm", Path: "chart/Chart.yaml", Msg: "chart"},
		{Rule: "txt", Path: "c.txt", Msg: "C"},
		{Rule: "yaml", Path: "a.yaml", Msg: "A"},
		{Rule: "yaml", Path: "b.yaml", Msg: "B"},
	}
	if diff := cmp.Diff(results(fs), want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(helm.files, []string{"a.yaml", "b.yaml", "c.txt", "chart/Chart.yaml", "chart/t.yaml"}); diff != "" {
		t.Errorf("Prepare saw (-got +want):\n%s", diff)
	}
	if got := late.saw(); len(got) != 0 {
		t.Errorf("late saw %v, want nothing: helm claimed chart/t.yaml first", got)
	}
}

func TestRunnerErrors(t *testing.T) {
	lineErr := &testLineError{line: 7}
	target := &memTarget{
		files:   map[string]string{"ok.yaml": "ok", "unreadable.yaml": "", "big.yaml": "", "bad.yaml": "bad", "panic.yaml": "", "partial.yaml": ""},
		readErr: map[string]error{"unreadable.yaml": fs.ErrPermission, "big.yaml": fmt.Errorf("%w: 99 bytes", ErrTooLarge)},
	}
	a := &fakeAnalyzer{name: "a", ext: ".yaml", analyze: func(f File) ([]finding.Finding, error) {
		switch f.Path {
		case "bad.yaml":
			return nil, lineErr
		case "panic.yaml":
			panic("a hostile file crashed the analyzer")
		case "partial.yaml":
			return []finding.Finding{{RuleID: "a", Location: finding.Location{Path: f.Path}, Message: "before the error"}}, errors.New("half way")
		}
		b, err := f.Read()
		if err != nil {
			return nil, err
		}
		return []finding.Finding{{RuleID: "a", Location: finding.Location{Path: f.Path}, Message: string(b)}}, nil
	}}
	r := Runner{Analyzers: []Analyzer{a}}
	fs, err := r.Run(context.Background(), target)
	if err != nil {
		t.Fatalf("Run: %v; a file's error must not stop the scan", err)
	}
	want := []result{
		{Rule: "a", Path: "ok.yaml", Msg: "ok"},
		{Rule: "a", Path: "partial.yaml", Msg: "before the error"},
		{Rule: "file-too-large", Path: "big.yaml", Msg: "file too large: 99 bytes", Kind: finding.KindError},
		{Rule: "parse-error", Path: "bad.yaml", Msg: "bad at line 7", Line: 7, Kind: finding.KindError},
		{Rule: "parse-error", Path: "panic.yaml", Msg: "a: internal error: a hostile file crashed the analyzer", Kind: finding.KindError},
		{Rule: "parse-error", Path: "partial.yaml", Msg: "half way", Kind: finding.KindError},
		{Rule: "parse-error", Path: "unreadable.yaml", Msg: "permission denied", Kind: finding.KindError},
	}
	if diff := cmp.Diff(results(fs), want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

type testLineError struct{ line int }

func (e *testLineError) Error() string { return fmt.Sprintf("bad at line %d", e.line) }
func (e *testLineError) Line() int     { return e.line }

func TestRunnerFailures(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		target    Target
		analyzers []Analyzer
		wantErr   string
	}{
		{
			name:    "walk fails",
			target:  &memTarget{walkErr: boom},
			wantErr: "walk mem: boom",
		},
		{
			name:      "prepare fails",
			target:    &memTarget{files: map[string]string{"a": "a"}},
			analyzers: []Analyzer{&preparer{fakeAnalyzer: fakeAnalyzer{name: "p"}, err: boom}},
			wantErr:   "p: boom",
		},
		{
			name:      "finish fails",
			target:    &memTarget{files: map[string]string{"a": "a"}},
			analyzers: []Analyzer{&finisher{fakeAnalyzer: fakeAnalyzer{name: "f"}, err: boom}},
			wantErr:   "f: boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Runner{Analyzers: tt.analyzers}
			fs, err := r.Run(context.Background(), tt.target)
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, boom) {
				t.Errorf("Run = %d findings, %v; want error %q", len(fs), err, tt.wantErr)
			}
		})
	}
}

func TestRunnerCancel(t *testing.T) {
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("f%02d", i)] = "x"
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	a := &fakeAnalyzer{name: "a", analyze: func(File) ([]finding.Finding, error) {
		if n.Add(1) == 3 {
			cancel()
		}
		return nil, nil
	}}
	r := Runner{Analyzers: []Analyzer{a}, Workers: 1}
	fs, err := r.Run(ctx, &memTarget{files: files})
	if !errors.Is(err, context.Canceled) || fs != nil {
		t.Errorf("Run = %d findings, %v; want Canceled", len(fs), err)
	}
	if got := n.Load(); got >= 50 {
		t.Errorf("analyzed %d files after the cancel, want the scan to stop", got)
	}
}

func TestRunnerWorkersAndProgress(t *testing.T) {
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("f%02d.yaml", i)] = "x"
	}
	for _, workers := range []int{0, 1, 3, 100} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			var running, peak atomic.Int32
			a := &fakeAnalyzer{name: "a", ext: ".yaml", analyze: func(f File) ([]finding.Finding, error) {
				cur := running.Add(1)
				for {
					p := peak.Load()
					if cur <= p || peak.CompareAndSwap(p, cur) {
						break
					}
				}
				defer running.Add(-1)
				return []finding.Finding{{RuleID: "a", Location: finding.Location{Path: f.Path}}}, nil
			}}
			b := &fakeAnalyzer{name: "b", ext: "5.yaml"}
			var mu sync.Mutex
			var progress []int
			total := -1
			r := Runner{Analyzers: []Analyzer{a, b}, Workers: workers, Progress: func(done, tot int) {
				mu.Lock()
				defer mu.Unlock()
				progress = append(progress, done)
				if total != -1 && total != tot {
					t.Errorf("total changed from %d to %d", total, tot)
				}
				total = tot
			}}
			fs, err := r.Run(context.Background(), &memTarget{files: files})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 44 {
				t.Errorf("got %d findings, want 44", len(fs))
			}
			if workers > 0 && int(peak.Load()) > workers {
				t.Errorf("%d analyses ran at once, want at most %d", peak.Load(), workers)
			}
			// One call per job (40 files for a, 4 for b), counting up.
			if total != 44 || len(progress) != 44 {
				t.Fatalf("progress calls %d with total %d, want 44 and 44", len(progress), total)
			}
			for i, d := range progress {
				if d != i+1 {
					t.Fatalf("progress %v, want 1..44 in order", progress)
				}
			}
		})
	}
}

// A directory's unreadable entries become error findings.
func TestRunnerDirProblems(t *testing.T) {
	root := writeFiles(t, t.TempDir(), map[string]string{"a.yaml": "A"})
	if err := os.Symlink("nowhere", filepath.Join(root, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	d := newDir(t, root, DirOptions{})
	r := Runner{Analyzers: []Analyzer{&fakeAnalyzer{name: "yaml", ext: ".yaml"}}}
	fs, err := r.Run(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	got := results(fs)
	if len(got) != 2 || got[0] != (result{Rule: "parse-error", Path: "dangling.yaml", Msg: got[0].Msg, Kind: finding.KindError}) || !strings.Contains(got[0].Msg, "resolve symbolic link") {
		t.Errorf("findings %+v, want an error for dangling.yaml and the finding of a.yaml", got)
	}
}

func TestErrorFinding(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantRule string
		wantLine int
	}{
		{name: "plain", err: errors.New("x"), wantRule: "parse-error"},
		{name: "with a line", err: &testLineError{line: 3}, wantRule: "parse-error", wantLine: 3},
		{name: "wrapped line", err: fmt.Errorf("ctx: %w", &testLineError{line: 9}), wantRule: "parse-error", wantLine: 9},
		{name: "too large", err: fmt.Errorf("%w: big", ErrTooLarge), wantRule: "file-too-large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ErrorFinding("dir/f.yaml", tt.err)
			if f.RuleID != tt.wantRule || f.Kind != finding.KindError || f.Severity != finding.SeverityUnknown {
				t.Errorf("rule %s kind %s severity %s, want %s error unknown", f.RuleID, f.Kind, f.Severity, tt.wantRule)
			}
			if f.Location.Path != "dir/f.yaml" || f.Location.StartLine != tt.wantLine || f.Location.EndLine != tt.wantLine {
				t.Errorf("location %+v, want dir/f.yaml line %d", f.Location, tt.wantLine)
			}
			if f.Message != tt.err.Error() || f.Controls == nil || f.Fingerprint == "" {
				t.Errorf("message %q controls %v fingerprint %q", f.Message, f.Controls, f.Fingerprint)
			}
		})
	}
	// Two errors on different lines of a file are different findings.
	a, b := ErrorFinding("f", &testLineError{line: 1}), ErrorFinding("f", &testLineError{line: 2})
	if a.Fingerprint == b.Fingerprint {
		t.Error("errors on different lines have the same fingerprint")
	}
}
