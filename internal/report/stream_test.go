package report

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// TestJSONStreamingMatchesEncoder checks that the streamed report is byte
// for byte what encoding the whole report at once gives, with and without
// the fields that follow the findings.
func TestJSONStreamingMatchesEncoder(t *testing.T) {
	for _, warnings := range [][]string{nil, {"an ignore entry expired"}} {
		r := New(Tool{Name: "rampart", Version: "v1.0.0"}, []string{"."}, sampleFindingsForStream(), true)
		r.Warnings = warnings
		var got, want bytes.Buffer
		if err := writeJSON(&got, r); err != nil {
			t.Fatal(err)
		}
		if err := encode(&want, r, "", "  "); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("warnings=%v (-encoder +streamed):\n%s", warnings, diff)
		}
	}
}

func sampleFindingsForStream() []finding.Finding {
	return []finding.Finding{
		{RuleID: "b", Kind: finding.KindMisconfiguration, Severity: finding.SeverityHigh, Message: "<html> & \"quotes\"", Controls: []string{"x:1"}, Location: finding.Location{Path: "a.yaml", StartLine: 3}},
		{RuleID: "a", Kind: finding.KindError, Message: "broken", Location: finding.Location{Path: "b.yaml"}},
	}
}
