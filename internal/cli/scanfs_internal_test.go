//go:build !gatewayonly

package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

func TestFailingReachableOnly(t *testing.T) {
	yes, no := true, false
	fs := []finding.Finding{
		{RuleID: "reachable", Kind: finding.KindVulnerability, Package: &finding.Package{Reachable: &yes}},
		{RuleID: "unreachable", Kind: finding.KindVulnerability, Package: &finding.Package{Reachable: &no}},
		{RuleID: "not-analysed", Kind: finding.KindVulnerability, Package: &finding.Package{}},
		{RuleID: "secret", Kind: finding.KindSecret},
	}
	ids := func(fs []finding.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.RuleID)
		}
		return out
	}
	tests := []struct {
		name          string
		reachableOnly bool
		want          []string
	}{
		{"all count", false, []string{"reachable", "unreachable", "not-analysed", "secret"}},
		{"unreachable left out, unknown kept", true, []string{"reachable", "not-analysed", "secret"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(ids(failing(fs, tc.reachableOnly)), tc.want); d != "" {
				t.Errorf("(-got +want):\n%s", d)
			}
		})
	}
}
