package report

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// TestAppendFindingMatchesEncodingJSON checks the hand-written encoder
// against encoding/json on every field, empty and set, and on strings that
// need escaping.
func TestAppendFindingMatchesEncodingJSON(t *testing.T) {
	full := finding.Finding{
		RuleID: "r", Kind: finding.KindMisconfiguration, Severity: finding.SeverityCritical, Layer: finding.LayerCluster,
		Title: "t", Message: "m", Description: "d", Remediation: "fix", Controls: []string{"a:1", "b:2"},
		References: []string{"https://x"}, Resource: &finding.Resource{Kind: "Pod", Namespace: "ns", Name: "n"},
		Location:    finding.Location{Path: "p.yaml", StartLine: 3, EndLine: 4, Field: "spec"},
		Fingerprint: "f", Suppressed: true, Suppression: &finding.Suppression{Source: "inline", Reason: "why", Expires: "2030-01-01"},
		Aliases: []string{"CVE-2024-1", "GHSA-x<y>"},
		Package: &finding.Package{Name: "golang.org/x/net", Version: "0.1.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/net@0.1.0",
			FixedVersions: []string{"0.7.0"}, Relationship: "direct", Reachable: new(bool)},
		Secret:  &finding.Secret{Match: "AKIA****", Commit: "abc", Author: "a <b>", Email: "e", Date: "2026-01-01"},
		Traffic: &finding.Traffic{RequestID: "r", Route: "app", Action: "block", ClientIP: "127.0.0.1", Method: "GET", Host: "h", Path: "/?q=<x>", Status: 403, JA4: "t13", JA3: "j", Identity: "spiffe://x"},
		Time:    time.Date(2026, 11, 23, 10, 0, 0, 5, time.UTC),
	}
	// Every exported field must be set in full, so a new field fails here
	// until appendFinding writes it.
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("field %s is zero in the full finding: set it and teach appendFinding", v.Type().Field(i).Name)
		}
	}
	tricky := []string{"", "plain", `quote " and \ back`, "tab\tnew\nline\rcr", "\x00\x01\x1f", "<html> & 'x'",
		"héllo ✓ 🎉", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\u007f del"}
	cases := map[string]finding.Finding{
		"full":                    full,
		"zero":                    {},
		"empty controls":          {Controls: []string{}},
		"empty resource":          {Resource: &finding.Resource{}},
		"partial resource":        {Resource: &finding.Resource{Name: "only"}},
		"suppression only source": {Suppression: &finding.Suppression{Source: "s"}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		s := func() string { return tricky[rng.IntN(len(tricky))] + tricky[rng.IntN(len(tricky))] }
		f := full
		f.RuleID, f.Message, f.Title, f.Description = s(), s(), s(), s()
		f.Controls = []string{s(), s()}
		f.Location.Path, f.Location.Field = s(), s()
		f.Location.StartLine = rng.IntN(3) - 1
		f.Resource = &finding.Resource{Kind: s(), Namespace: s(), Name: s()}
		f.Severity = finding.Severity(rng.IntN(6))
		cases["random "+strings.Repeat("x", i)] = f
	}
	for name, f := range cases {
		var want bytes.Buffer
		if err := encode(&want, f, "    ", "  "); err != nil {
			t.Fatal(err)
		}
		got := string(appendFinding(nil, &f))
		if diff := cmp.Diff(strings.TrimSuffix(want.String(), "\n"), got); diff != "" {
			t.Errorf("%s (-encoding/json +appendFinding):\n%s", name[:min(len(name), 20)], diff)
		}
	}
}
