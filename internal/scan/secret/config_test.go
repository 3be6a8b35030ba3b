package secret

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

func writeConfig(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// userRules extends gitleaks' defaults with an in-house token rule, an
// allowlist for test fixtures, a stopword on one default rule and a
// disabled default rule.
const userRules = `title = "acme rules"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-internal-token"
description = "ACME internal service token"
regex = '''\b(rmp_[a-z0-9]{24})\b'''
keywords = ["rmp_"]

[[allowlists]]
description = "test fixtures hold fake credentials"
paths = ['''(?:^|/)fixtures/''']

[[allowlists]]
targetRules = ["github-pat"]
stopwords = ["ghp_000"]
`

func TestUserConfig(t *testing.T) {
	fk := newFakes(4)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "rules.toml", userRules)
	tests := []struct {
		name, path, content string
		want                []brief
	}{
		{
			name:    "user rule",
			path:    "svc/client.go",
			content: "package svc\n\nconst tok = \"" + fk.Internal + "\"\n",
			want:    []brief{{Rule: "acme-internal-token", Severity: finding.SeverityHigh, Path: "svc/client.go", StartLine: 3, EndLine: 3, Match: "rmp_*****"}},
		},
		{
			name:    "default rules still apply",
			path:    "svc/aws.go",
			content: "var k = \"" + fk.AWSKey + "\"\n",
			want:    []brief{{Rule: "aws-access-token", Severity: finding.SeverityCritical, Path: "svc/aws.go", StartLine: 1, EndLine: 1, Match: "AKIA*****"}},
		},
		{
			name:    "global allowlist path",
			path:    "testdata/fixtures/aws.go",
			content: "var k = \"" + fk.AWSKey + "\"\n",
		},
		{
			name:    "targeted stopword",
			path:    "ci.yaml",
			content: "token: ghp_000" + fk.GitHubToken[7:] + "\n",
		},
		{
			name:    "disabled default rule",
			path:    "app.ini",
			content: "api_key = Zx8kP2mQ9vR4tL7wB3nH6jC1\n",
		},
	}
	// Load the config three times: gitleaks' own extend loses the default
	// rules from the third load in one process (its extendDepth counter is
	// never reset); the loader here must not.
	for i := range 3 {
		s, err := New(context.Background(), Options{ConfigPath: cfgPath})
		if err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Analyze(context.Background(), memFile(tt.path, tt.content))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(briefs(got), tt.want); diff != "" {
					t.Errorf("load %d: findings (-got +want):\n%s", i, diff)
				}
				noLeak(t, got, fk.Internal, fk.AWSKey)
			})
		}
	}
}

// TestDefaultsWouldFire makes sure the allowlist and disabled-rule cases
// above prove something: with gitleaks' defaults alone, each is a finding.
func TestDefaultsWouldFire(t *testing.T) {
	fk := newFakes(4)
	tests := []struct{ name, path, content, rule string }{
		{"global allowlist path", "testdata/fixtures/aws.go", "var k = \"" + fk.AWSKey + "\"\n", "aws-access-token"},
		{"targeted stopword", "ci.yaml", "token: ghp_000" + fk.GitHubToken[7:] + "\n", "github-pat"},
		{"disabled default rule", "app.ini", "api_key = Zx8kP2mQ9vR4tL7wB3nH6jC1\n", "generic-api-key"},
	}
	s := defaultScanner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Analyze(context.Background(), memFile(tt.path, tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].RuleID != tt.rule {
				t.Fatalf("got %v, want one %s finding", briefs(got), tt.rule)
			}
		})
	}
}

func TestExtendPath(t *testing.T) {
	fk := newFakes(5)
	dir := t.TempDir()
	writeConfig(t, dir, "base.toml", `[[rules]]
id = "acme-internal-token"
regex = '''rmp_[a-z0-9]{24}'''
keywords = ["rmp_"]
`)
	p := writeConfig(t, dir, "team.toml", `[extend]
path = "base.toml"

[[rules]]
id = "acme-internal-token"
description = "overridden description"
`)
	s, err := New(context.Background(), Options{ConfigPath: p})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Analyze(context.Background(), memFile("a.txt", "x "+fk.Internal+"\n"+fk.AWSKey+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the base's rule: the default rules are not extended here.
	if diff := cmp.Diff(briefs(got), []brief{{Rule: "acme-internal-token", Severity: finding.SeverityHigh, Path: "a.txt", StartLine: 1, EndLine: 1, Match: "rmp_*****"}}); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
	if len(got) == 1 && got[0].Description != "overridden description" {
		t.Errorf("description = %q, want the extending file's", got[0].Description)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, content string
		// want are substrings of the error message.
		want []string
	}{
		{
			name:    "invalid toml",
			content: "title = \"x\"\n\n[[rules]]\nid = \"a\"\nregex = '''x'''\nkeywords = [\"a\"\n",
			want:    []string{"bad.toml:6:", "array is incomplete"},
		},
		{
			name:    "bad regex",
			content: "[[rules]]\nid = \"ok\"\nregex = '''ok'''\n\n[[rules]]\nid = \"broken\"\nregex = '''(unclosed'''\n",
			want:    []string{"bad.toml:6", `rule "broken"`, "regex", "missing closing )"},
		},
		{
			name:    "bad allowlist path",
			content: "[[allowlists]]\npaths = ['''[z-a]''']\n",
			want:    []string{"bad.toml", "allowlists[0]", "invalid character class range"},
		},
		{
			name:    "rule without regex or path",
			content: "[[rules]]\nid = \"empty\"\n",
			want:    []string{"bad.toml", "empty", "no effect"},
		},
		{
			name:    "secret group out of range",
			content: "[[rules]]\nid = \"g\"\nregex = '''a(b)'''\nsecretGroup = 3\n",
			want:    []string{"bad.toml", "secret group 3"},
		},
		{
			name:    "extend path and default",
			content: "[extend]\nuseDefault = true\npath = \"x.toml\"\n",
			want:    []string{"bad.toml", "both path and useDefault"},
		},
		{
			name:    "targeted allowlist for a missing rule",
			content: "[[allowlists]]\ntargetRules = [\"nope\"]\nstopwords = [\"x\"]\n",
			want:    []string{"bad.toml", "nope", "does not exist"},
		},
		{
			name:    "extend a missing file",
			content: "[extend]\npath = \"missing.toml\"\n",
			want:    []string{"missing.toml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, t.TempDir(), "bad.toml", tt.content)
			_, err := New(context.Background(), Options{ConfigPath: p})
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	_, err := New(context.Background(), Options{ConfigPath: filepath.Join(t.TempDir(), "nope.toml")})
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("got %v, want an error naming nope.toml", err)
	}
}

func TestDefaultConfigRules(t *testing.T) {
	cfg, err := defaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Rules); got < 200 {
		t.Errorf("default rules = %d, want gitleaks' 200+", got)
	}
	if len(cfg.Keywords) == 0 {
		t.Error("no keywords: gitleaks' Aho-Corasick prefilter would be off")
	}
}
