package secret

//lint:file-ignore SA1019 detect.Fragment is gitleaks v8's detector API; sources.Fragment replaces it only in v9.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
)

// key identifies a finding for the differential tests; the secret itself
// is compared but only its redacted form is ever printed.
type key struct {
	Rule                         string
	StartLine, EndLine           int
	StartColumn, EndColumn       int
	Redacted, Line, secret, tags string
}

func keys(fs []report.Finding) []key {
	out := make([]key, 0, len(fs))
	for _, f := range fs {
		out = append(out, key{
			Rule: f.RuleID, StartLine: f.StartLine, EndLine: f.EndLine, StartColumn: f.StartColumn, EndColumn: f.EndColumn,
			Redacted: Redact(f.Secret), Line: Redact(f.Line), secret: f.Secret, tags: strings.Join(f.Tags, ","),
		})
	}
	slices.SortFunc(out, func(a, b key) int {
		return strings.Compare(fmt.Sprint(a.StartLine, a.StartColumn, a.Rule, a.secret, a.tags), fmt.Sprint(b.StartLine, b.StartColumn, b.Rule, b.secret, b.tags))
	})
	return out
}

// sameAsGitleaks fails when the fast path and gitleaks' detector on the
// whole file disagree; it returns how many findings they agree on.
func sameAsGitleaks(t *testing.T, s *Scanner, path, text string) int {
	t.Helper()
	ctx := context.Background()
	got := keys(s.fast.detect(ctx, text, path))
	want := keys(s.det.DetectContext(ctx, detect.Fragment{Raw: text, FilePath: path, StartLine: 1}))
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(key{})); diff != "" {
		// cmp prints unexported fields too: show only redacted values.
		var b strings.Builder
		for _, k := range want {
			fmt.Fprintf(&b, "  want %s %d:%d-%d:%d %s\n", k.Rule, k.StartLine, k.StartColumn, k.EndLine, k.EndColumn, k.Redacted)
		}
		for _, k := range got {
			fmt.Fprintf(&b, "  got  %s %d:%d-%d:%d %s\n", k.Rule, k.StartLine, k.StartColumn, k.EndLine, k.EndColumn, k.Redacted)
		}
		t.Errorf("%s: fast path differs from gitleaks on the whole file:\n%s", path, b.String())
	}
	return len(want)
}

// trickyCases are files whose findings depend on how the fast path cuts
// windows: multi-line keys, file edges, CRLF, long lines, encoded secrets,
// allowlists, gitleaks:allow, non-ASCII text.
func trickyCases() map[string]struct {
	text string
	min  int // findings gitleaks must report, so a case cannot pass empty
} {
	fk := newFakes(3)
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	generic := "Zx8kQ2mN7pL4vR9sT1wY6"
	filler := strings.Repeat("func handler(w http.ResponseWriter, r *http.Request) { log.Println(r.URL) }\n", 30)
	keyFiller := strings.Repeat("token := cache.Get(key) // api auth\n", 40)
	return map[string]struct {
		text string
		min  int
	}{
		"private key mid-file":        {filler + fk.PrivateKey + filler, 1},
		"private key at start":        {fk.PrivateKey + keyFiller, 1},
		"private key no trailing NL":  {keyFiller + strings.TrimSuffix(fk.PrivateKey, "\n"), 1},
		"aws key first line":          {"AWS_ACCESS_KEY_ID=" + fk.AWSKey + "\n" + filler, 1},
		"aws key last line, no NL":    {filler + "aws_access_key_id = \"" + fk.AWSKey + "\"", 1},
		"only a secret":               {"ghToken = \"" + fk.GitHubToken + "\"", 1},
		"CRLF":                        {strings.ReplaceAll(filler+"const gh = \""+fk.GitHubToken+"\";\napi_key = \""+generic+"\"\n"+fk.PrivateKey, "\n", "\r\n"), 3},
		"long line":                   {strings.Repeat("x := 1; ", 20000) + "api_token = '" + generic + "'; " + strings.Repeat("y := 2; ", 20000) + "\n", 1},
		"generic value on next line":  {keyFiller + "api_key =\n   \"" + generic + "\"\n" + keyFiller, 1},
		"generic value two lines on":  {"password:\n\n  '" + generic + "'\n", 0},
		"generic and specific":        {"github_token = \"" + fk.GitHubToken + "\"\n", 1},
		"jwt":                         {keyFiller + "auth = \"" + jwt + "\"\n" + keyFiller, 1},
		"jwt bare":                    {jwt + "\n", 1},
		"gitleaks:allow":              {filler + "const gh = \"" + fk.GitHubToken + "\"; // gitleaks:allow\n" + "const gh2 = \"" + fk.GitHubToken + "\";\n", 1},
		"allowlisted aws example":     {"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", 0},
		"base64 encoded aws key":      {filler + "blob: " + base64.StdEncoding.EncodeToString([]byte("aws_access_key_id = "+fk.AWSKey)) + "\n", 1},
		"base64 encoded github token": {"data = \"" + base64.StdEncoding.EncodeToString([]byte(fk.GitHubToken)) + "\"\n" + keyFiller, 1},
		"percent encoded":             {"u := \"https://x.test/?t=" + strings.ReplaceAll(fk.GitHubToken, "_", "%5F") + "\"\n", 0},
		"non-ASCII text":              {"// café, naïve — 日本語\nsecret_key = \"" + generic + "\"\n" + fk.AWSKey + "\n", 2},
		"long s":                      {"ſecret = \"" + generic + "\"\napi_key = \"" + generic + "\"\n", 1},
		"kelvin sign":                 {"\u212Aey = \"" + generic + "\"\n", 0},
		"empty":                       {"", 0},
		"newlines only":               {"\n\n\r\n\n", 0},
		"invalid UTF-8":               {"x = \"caf\xe9\"; aws_access_key_id = \"" + fk.AWSKey + "\"\n// \xff\xfe\nconst gh = \"" + fk.GitHubToken + "\"\n", 2},
		"many keywords dense":         {strings.Repeat("key="+generic+"\ntoken: "+generic+"x\n", 50), 1},
	}
}

func TestFastPathMatchesGitleaks(t *testing.T) {
	s := defaultScanner(t)
	for name, tc := range trickyCases() {
		t.Run(name, func(t *testing.T) {
			if n := sameAsGitleaks(t, s, "src/"+strings.ReplaceAll(name, " ", "_")+".txt", tc.text); n < tc.min {
				t.Errorf("gitleaks found %d, the case expects at least %d: it no longer tests what it says", n, tc.min)
			}
		})
	}
}

// TestFastPathAllowlistedPaths: the fast path checks path allow-lists once
// per file rather than per window; a rule's own path allow-list (the .bb
// files of one default rule) and the global one must still apply.
func TestFastPathAllowlistedPaths(t *testing.T) {
	s := defaultScanner(t)
	fk := newFakes(5)
	text := "api_key = \"Zx8kQ2mN7pL4vR9sT1wY6\"\nconst gh = \"" + fk.GitHubToken + "\";\nAWS_KEY=" + fk.AWSKey + "\n"
	for _, p := range []string{"src/app.go", "docs/logo.svg", "gitleaks.toml", "layer/recipe.bb", "x/vendor/modules.txt", "go.sum"} {
		t.Run(p, func(t *testing.T) {
			sameAsGitleaks(t, s, p, text)
		})
	}
}

// TestFastPathMatchesGitleaksCorpus runs the differential over the whole
// BenchmarkScan corpus (-short: a quarter of it).
func TestFastPathMatchesGitleaksCorpus(t *testing.T) {
	size := benchCorpusBytes
	if testing.Short() {
		size /= 4
	}
	files, planted := benchCorpus(size)
	s := defaultScanner(t)
	total := 0
	for _, f := range files {
		total += sameAsGitleaks(t, s, f.path, string(f.content))
	}
	if total != planted {
		t.Errorf("gitleaks found %d, want the %d planted", total, planted)
	}
}

func TestRuleShapes(t *testing.T) {
	tests := []struct {
		expr string
		kws  []string
		want ruleShape
	}{
		{`ghp_[0-9a-zA-Z]{36}`, []string{"ghp_"}, ruleShape{windowed: true}},
		{`(?i)\b(AKIA[A-Z2-7]{16})\b`, []string{"akia"}, ruleShape{windowed: true}},
		{`(?i)(?:key|token)\s{0,3}=\s{0,2}([a-z0-9]{20})`, []string{"key", "token"}, ruleShape{windowed: true, after: 5}},
		{`(?-i:[Aa]pi|API)_?[a-z]{10}`, []string{"api"}, ruleShape{windowed: true}},
		{`-----BEGIN[ A-Z]{0,10}-----[\s\S]{64,}?-----END`, []string{"-----begin"}, ruleShape{windowed: true, after: unbounded}},
		{`\s*\s{0,2}(?i:secret)`, []string{"secret"}, ruleShape{windowed: true, before: unbounded}},
		{`[a-z]{20}`, []string{"abc"}, ruleShape{}},           // keyword not in the match
		{`(?:foo|bar)[0-9]{4}`, []string{"foo"}, ruleShape{}}, // one branch lacks it
		// The keyword spans parts: its newlines count on both sides.
		{`(?i)passw(?:or)?d\s?=`, []string{"passwd", "password"}, ruleShape{windowed: true, before: 1, after: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			sh := shapeOf(tt.expr, tt.kws)
			got := ruleShape{windowed: sh.windowed, before: sh.before, after: sh.after}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ruleShape{})); diff != "" {
				t.Errorf("shapeOf(%q) (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

// TestLineBounds checks the longest line a match can run through after
// its keyword's line: never below the true bound (that would lose
// matches), and not so loose that windows stop helping.
func TestLineBounds(t *testing.T) {
	tests := []struct {
		expr       string
		exact, max int // the true bound, and the loosest accepted
	}{
		{`key[ \t]{0,3}=\s{0,2}x`, 0, 0},
		// The closing \s ends the match: the value's line may be long.
		{`(?i)key\s{0,3}[=:]\s{0,5}([a-z0-9]{10,})(?:\s|$)`, 7, 7},
		{`key=([a-z]+)\s`, -1, -1},
		{`key[\s\S]{0,5}x`, 3, 16},
		{`key\s*=`, inf, inf},
		{`key(?:\n[a-z]{1,7}){0,3}\n`, 7, 32},
		{`key=([a-z]+)\n[a-z]`, -1, -1}, // one newline: no line is passed through
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got := shapeOf(tt.expr, []string{"key"})
			if !got.windowed || got.line < tt.exact || got.line > tt.max {
				t.Errorf("shapeOf(%q) = %+v, want windowed with line in [%d, %d]", tt.expr, got, tt.exact, tt.max)
			}
		})
	}
}

func TestDefaultRulesMostlyWindowed(t *testing.T) {
	s := defaultScanner(t)
	rest := 0
	if s.fast.rest != nil {
		rest = len(s.fast.rest.Config.Rules)
	}
	t.Logf("windowed rules: %d, whole-file rules: %d", len(s.fast.rules), rest)
	for id := range s.fast.rest.Config.Rules {
		t.Logf("whole-file rule: %s", id)
	}
	if len(s.fast.rules) < 150 {
		t.Errorf("only %d default rules take the fast path", len(s.fast.rules))
	}
}

// FuzzFastPath checks the fast path against gitleaks' detector on
// arbitrary files.
func FuzzFastPath(f *testing.F) {
	var i byte
	for _, tc := range trickyCases() {
		if len(tc.text) < 4096 {
			f.Add(tc.text, i)
			i++
		}
	}
	s, err := New(context.Background(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	// Paths that some rules' path conditions admit and others' do not.
	paths := []string{"f.txt", "src/f.go", "k8s/f.yaml", "infra/f.tf", "f.p12", "web/f.php", "gitleaks.toml"}
	f.Fuzz(func(t *testing.T, text string, path byte) {
		sameAsGitleaks(t, s, paths[int(path)%len(paths)], text)
	})
}

// TestFastPathRestRules covers the rules that always see the whole file:
// the fast path runs them only when one of their keywords occurs in a file
// their path condition admits, and runs path-only rules (pkcs12-file) on
// the path alone.
func TestFastPathRestRules(t *testing.T) {
	s := defaultScanner(t)
	fk := newFakes(7)
	// A value short enough (under 16 characters) not to send the file to
	// gitleaks' decoding pass, so the fast path itself decides.
	k8sSecret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: " + "cGFzc3dvcmQx" + "\n"
	tfPassword := "resource \"azurerm_sql_server\" \"db\" {\n  administrator_login_password = \"" + "Vq7pL2xR9mZ4wT" + "\"\n}\n"
	slack := "hook = \"https://hooks.slack.com/services/T0" + "1234567/B01234567/" + "abcdefghijABCDEFGHIJ1234" + "\"\n"
	for _, tc := range []struct {
		path, text string
		min        int
	}{
		{"deploy/secret.yaml", k8sSecret, 1},
		{"deploy/secret.go", k8sSecret, 0}, // the rule's path excludes it
		{"infra/main.tf", tfPassword, 1},
		{"infra/main.go", tfPassword, 0},
		{"certs/client.p12", "not really a certificate\n", 1},
		{"certs/client.p12", "", 1},
		{"src/notify.go", slack, 1},
		{"src/plain.go", "const secret = lookup(\"x\") // password handled by vault\n" + fk.GitHubToken + "\n", 1},
	} {
		t.Run(tc.path, func(t *testing.T) {
			if n := sameAsGitleaks(t, s, tc.path, tc.text); n < tc.min {
				t.Errorf("gitleaks found %d, the case expects at least %d: it no longer tests what it says", n, tc.min)
			}
		})
	}
}

// TestFastPathUserConfigs covers rule sets the default config does not
// have: a non-ASCII keyword (keywords are then searched in the lowercased
// text, whose offsets move after an invalid byte) and a composite rule
// requiring a rule that could otherwise be windowed (gitleaks looks the
// required rule up in the composite's own detector).
func TestFastPathUserConfigs(t *testing.T) {
	fk := newFakes(11)
	for _, tc := range []struct {
		name, toml, text string
		min              int
	}{
		{
			name: "non-ASCII keyword after invalid bytes",
			toml: "[[rules]]\nid = \"ru-key\"\nregex = '''ключ=\\w{4}'''\nkeywords = [\"ключ\"]\n",
			text: strings.Repeat("\xff", 12) + "\nключ=abcd\n",
			min:  1,
		},
		{
			name: "default rules beside a non-ASCII keyword, invalid bytes",
			toml: "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"ru-key\"\nregex = '''ключ=\\w{4}'''\nkeywords = [\"ключ\"]\n",
			text: strings.Repeat("\xff", 12) + "\nAWS = \"" + fk.AWSKey + "\"\n",
			min:  1,
		},
		{
			name: "composite requiring a keyword rule",
			toml: "[[rules]]\nid = \"primary\"\nregex = '''user_id=([a-z0-9]{8})'''\nkeywords = [\"user_id\"]\n" +
				"[[rules.required]]\nid = \"aux\"\nwithinLines = 2\n\n" +
				"[[rules]]\nid = \"aux\"\nregex = '''pass_word=([a-z0-9]{10})'''\nkeywords = [\"pass_word\"]\n",
			text: "user_id=abcd1234\npass_word=q1w2e3r4t5\n",
			min:  2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "rules.toml")
			if err := os.WriteFile(p, []byte(tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := New(context.Background(), Options{ConfigPath: p})
			if err != nil {
				t.Fatal(err)
			}
			if n := sameAsGitleaks(t, s, "src/app.go", tc.text); n < tc.min {
				t.Errorf("gitleaks found %d, the case expects at least %d: it no longer tests what it says", n, tc.min)
			}
		})
	}
}
