package secret

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

// brief is what the tests compare: everything that identifies a finding.
type brief struct {
	Rule      string
	Severity  finding.Severity
	Path      string
	StartLine int
	EndLine   int
	Match     string
	Suppress  bool
}

func briefs(fs []finding.Finding) []brief {
	var out []brief
	for _, f := range fs {
		b := brief{Rule: f.RuleID, Severity: f.Severity, Path: f.Location.Path, StartLine: f.Location.StartLine, EndLine: f.Location.EndLine, Suppress: f.Suppressed}
		if f.Secret != nil {
			b.Match = f.Secret.Match
		}
		out = append(out, b)
	}
	return out
}

func memFile(p, content string) scan.File {
	return scan.NewFile(p, int64(len(content)), func() ([]byte, error) { return []byte(content), nil })
}

// defaultScanner builds one scanner with gitleaks' default rules.
func defaultScanner(t testing.TB) *Scanner {
	t.Helper()
	s, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// noLeak fails if any text field of a finding holds a raw secret.
func noLeak(t *testing.T, fs []finding.Finding, secrets ...string) {
	t.Helper()
	for _, f := range fs {
		texts := []string{f.Title, f.Message, f.Description, f.Remediation}
		if f.Secret != nil {
			texts = append(texts, f.Secret.Match)
		}
		for _, txt := range texts {
			for _, s := range secrets {
				if strings.Contains(txt, s) {
					t.Errorf("finding %s leaks a secret in %q", f.RuleID, txt)
				}
			}
		}
	}
}

func TestAnalyze(t *testing.T) {
	fk := newFakes(1)
	s := defaultScanner(t)
	tests := []struct {
		name, path, content string
		want                []brief
	}{
		{
			name:    "aws key in python",
			path:    "app/settings.py",
			content: "import os\n\nAWS_REGION = \"eu-west-1\"\nAWS_ACCESS_KEY_ID = \"" + fk.AWSKey + "\"\n",
			want:    []brief{{Rule: "aws-access-token", Severity: finding.SeverityCritical, Path: "app/settings.py", StartLine: 4, EndLine: 4, Match: "AKIA*****"}},
		},
		{
			name:    "github token in env file",
			path:    "deploy/.env",
			content: "# ci\nGITHUB_TOKEN=" + fk.GitHubToken + "\n",
			want:    []brief{{Rule: "github-pat", Severity: finding.SeverityHigh, Path: "deploy/.env", StartLine: 2, EndLine: 2, Match: "ghp_*****"}},
		},
		{
			name:    "private key block spans lines",
			path:    "keys/id_rsa",
			content: "\n" + fk.PrivateKey,
			want:    []brief{{Rule: "private-key", Severity: finding.SeverityCritical, Path: "keys/id_rsa", StartLine: 2, EndLine: 6, Match: "----*****"}},
		},
		{
			name:    "aws documentation key is allowlisted by gitleaks",
			path:    "README.md",
			content: "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7" + "EXAMPLE\n",
		},
		{
			name:    "gitleaks:allow comment",
			path:    "main.go",
			content: "package main\n\nconst token = \"" + fk.GitHubToken + "\" // gitleaks:allow\n",
		},
		{
			name:    "clean source",
			path:    "main.go",
			content: "package main\n\nfunc main() { println(\"hello\") }\n",
		},
		{
			name:    "binary file is skipped",
			path:    "blob.dat",
			content: "\x00\x01\x02" + fk.AWSKey,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Analyze(context.Background(), memFile(tt.path, tt.content))
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if diff := cmp.Diff(briefs(got), tt.want); diff != "" {
				t.Errorf("findings (-got +want):\n%s", diff)
			}
			noLeak(t, got, fk.AWSKey, fk.GitHubToken, fk.PrivateKeyBody)
			for _, f := range got {
				if f.Kind != finding.KindSecret || f.Layer != finding.LayerCode || f.Fingerprint == "" || f.Remediation == "" {
					t.Errorf("finding %+v: want kind secret, layer code, a fingerprint and a remediation", f)
				}
			}
		})
	}
}

func TestAnalyzeTooLarge(t *testing.T) {
	s, err := New(context.Background(), Options{MaxFileSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Analyze(context.Background(), memFile("big.txt", strings.Repeat("x", 11)))
	if err == nil || !strings.Contains(err.Error(), "big.txt") {
		t.Fatalf("got error %v, want one naming big.txt", err)
	}
}

func TestMatch(t *testing.T) {
	s := defaultScanner(t)
	tests := []struct {
		path string
		want bool
	}{
		{"main.go", true},
		{"config/app.yaml", true},
		{".env", true},
		{"web/dist/app.min.js", true},
		{"assets/logo.PNG", false},
		{"go.sum", false},
		{"web/package-lock.json", false},
		{"rust/Cargo.lock", false},
		{"lib/x.so", false},
		{".gitleaksignore", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := s.Match(tt.path, nil); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "*****"},
		{"abc", "*****"},
		{"abcdefgh", "ab*****"},
		{"AKIAABCDEFGHIJKLMNOP", "AKIA*****"},
		{"ééééééé", "é*****"}, // 14 bytes: a 3-byte cut would split a rune
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		rule string
		want finding.Severity
	}{
		{"aws-access-token", finding.SeverityCritical},
		{"gcp-api-key", finding.SeverityCritical},
		{"azure-ad-client-secret", finding.SeverityCritical},
		{"private-key", finding.SeverityCritical},
		{"github-pat", finding.SeverityHigh},
		{"my-custom-rule", finding.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Severity(tt.rule); got != tt.want {
				t.Errorf("Severity(%q) = %v, want %v", tt.rule, got, tt.want)
			}
		})
	}
}

// TestConcurrentAnalyze shares one scanner between goroutines, as the
// runner's workers do; run it with -race.
func TestConcurrentAnalyze(t *testing.T) {
	fk := newFakes(2)
	s := defaultScanner(t)
	content := "key = \"" + fk.AWSKey + "\"\ntoken: " + fk.GitHubToken + "\n"
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				got, err := s.Analyze(context.Background(), memFile(fmt.Sprintf("f%d-%d.txt", i, j), content))
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 2 {
					errs <- fmt.Errorf("file %d-%d: got %d findings, want 2", i, j, len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRunnerGitleaksIgnore runs the scanner through scan.Runner over a
// directory whose .gitleaksignore suppresses one of two findings.
func TestRunnerGitleaksIgnore(t *testing.T) {
	fk := newFakes(3)
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cfg/a.yaml", "aws:\n  key: "+fk.AWSKey+"\n")
	write("cfg/b.yaml", "aws:\n  key: "+fk.AWSKey+"\n")
	write(".gitleaksignore", "# reviewed: test fixture\ncfg/a.yaml:aws-access-token:2\nnot a fingerprint\n")

	s := defaultScanner(t)
	target, err := scan.NewDir(dir, scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&scan.Runner{Analyzers: []scan.Analyzer{s}, Workers: 2}).Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	finding.Sort(got)
	want := []brief{
		{Rule: "aws-access-token", Severity: finding.SeverityCritical, Path: "cfg/a.yaml", StartLine: 2, EndLine: 2, Match: "AKIA*****", Suppress: true},
		{Rule: "aws-access-token", Severity: finding.SeverityCritical, Path: "cfg/b.yaml", StartLine: 2, EndLine: 2, Match: "AKIA*****"},
	}
	if diff := cmp.Diff(briefs(got), want); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}
