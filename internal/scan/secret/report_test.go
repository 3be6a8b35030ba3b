package secret

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/report"
)

// TestRedactedInEveryFormat renders real findings through the report
// writers and looks for the raw secrets, and for the full matched lines
// gitleaks keeps in its own Finding.Line and Match, in the output.
func TestRedactedInEveryFormat(t *testing.T) {
	fk := newFakes(8)
	s := defaultScanner(t)
	var all []finding.Finding
	files := map[string]string{
		"app/settings.py": "AWS_ACCESS_KEY_ID = \"" + fk.AWSKey + "\"\n",
		"ci.yaml":         "env:\n  GITHUB_TOKEN: " + fk.GitHubToken + "\n",
		"id_rsa":          fk.PrivateKey,
	}
	for p, c := range files {
		fs, err := s.Analyze(context.Background(), memFile(p, c))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fs...)
	}
	if len(all) != 3 {
		t.Fatalf("got %d findings, want 3: %v", len(all), briefs(all))
	}
	raw := []string{fk.AWSKey, fk.GitHubToken, fk.PrivateKeyBody, fk.AWSKey[4:12], fk.GitHubToken[4:12], fk.PrivateKeyBody[:16]}
	r := report.New(report.Tool{Name: "rampart", Version: "test"}, []string{"."}, all, false)
	for _, format := range report.Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, format, r, report.Options{}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, secret := range raw {
				if strings.Contains(out, secret) {
					t.Errorf("%s output contains secret material %q", format, secret)
				}
			}
			// The report is not empty of what matters: the redacted forms.
			for _, want := range []string{"AKIA*****", "ghp_*****"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s output lacks %q", format, want)
				}
			}
			if !strings.Contains(out, "aws-access-token") {
				t.Errorf("%s output lacks the rule id", format)
			}
		})
	}
}
