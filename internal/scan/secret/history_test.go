package secret

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// gitRepo makes a repository in a temp dir with a fixed identity and no
// influence from the user's or system's git config.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Dana Dev", "GIT_AUTHOR_EMAIL=dana@example.test", "GIT_AUTHOR_DATE=2026-03-04T05:06:07Z",
		"GIT_COMMITTER_NAME=Dana Dev", "GIT_COMMITTER_EMAIL=dana@example.test", "GIT_COMMITTER_DATE=2026-03-04T05:06:07Z",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func TestScanHistory(t *testing.T) {
	fk := newFakes(6)
	r := newGitRepo(t)
	r.write("README.md", "# demo\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "initial")
	r.write("config/app.yaml", "name: demo\naws:\n  access_key_id: "+fk.AWSKey+"\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "add config")
	leak := r.git("rev-parse", "HEAD")
	r.git("rm", "-q", "config/app.yaml")
	r.git("commit", "-q", "-m", "remove the key")

	s := defaultScanner(t)
	// The working tree is clean now.
	if got, err := s.Analyze(context.Background(), memFile("README.md", "# demo\n")); err != nil || len(got) != 0 {
		t.Fatalf("working tree: %v %v", got, err)
	}
	got, err := s.ScanHistory(context.Background(), r.dir)
	if err != nil {
		t.Fatalf("ScanHistory: %v", err)
	}
	want := []brief{{Rule: "aws-access-token", Severity: finding.SeverityCritical, Path: "config/app.yaml", StartLine: 3, EndLine: 3, Match: "AKIA*****"}}
	if diff := cmp.Diff(briefs(got), want); diff != "" {
		t.Fatalf("findings (-got +want):\n%s", diff)
	}
	wantSecret := &finding.Secret{Match: "AKIA*****", Commit: leak, Author: "Dana Dev", Email: "dana@example.test", Date: "2026-03-04T05:06:07Z"}
	if diff := cmp.Diff(got[0].Secret, wantSecret); diff != "" {
		t.Errorf("secret (-got +want):\n%s", diff)
	}
	noLeak(t, got, fk.AWSKey)

	// A gitleaks allowlist naming the commit drops it.
	cfg := writeConfig(t, t.TempDir(), "rules.toml", "[extend]\nuseDefault = true\n\n[[allowlists]]\ncommits = [\""+leak+"\"]\n")
	allowing, err := New(context.Background(), Options{ConfigPath: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := allowing.ScanHistory(context.Background(), r.dir); err != nil || len(got) != 0 {
		t.Errorf("with the commit allowlisted: got %v, %v; want no findings", briefs(got), err)
	}

	// A commit fingerprint in .gitleaksignore suppresses it.
	r.write(".gitleaksignore", leak+":config/app.yaml:aws-access-token:3\n")
	got, err = s.ScanHistory(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Suppressed || got[0].Suppression.Source != ".gitleaksignore" {
		t.Errorf("with .gitleaksignore: got %+v, want the finding suppressed", briefs(got))
	}
}

func TestScanHistoryTruncated(t *testing.T) {
	fk := newFakes(7)
	r := newGitRepo(t)
	for i := range 3 {
		r.write("f.txt", strings.Repeat("filler line of text\n", 200)+fk.GitHubToken+"\n"+strings.Repeat("x", i))
		r.git("add", "-A")
		r.git("commit", "-q", "-m", "c")
	}
	s, err := New(context.Background(), Options{MaxHistoryBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ScanHistory(context.Background(), r.dir)
	if !errors.Is(err, ErrHistoryTruncated) {
		t.Fatalf("got %v, want ErrHistoryTruncated", err)
	}
}

func TestScanHistoryBadPath(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	s := defaultScanner(t)
	notRepo := t.TempDir()
	file := filepath.Join(notRepo, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		is         error
	}{
		{"empty", "", nil},
		{"missing", filepath.Join(notRepo, "nope"), os.ErrNotExist},
		{"file", file, nil},
		{"not a repository", notRepo, ErrNotRepository},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(notRepo))
			_, err := s.ScanHistory(context.Background(), tt.path)
			if err == nil {
				t.Fatal("ScanHistory succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want %v", err, tt.is)
			}
		})
	}
}
