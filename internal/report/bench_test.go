package report

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/finding"
)

// BenchmarkWriteJSON writes a report the size of the 10,000-document
// corpus scan (86,000 findings with descriptions and remediations).
func BenchmarkWriteJSON(b *testing.B) {
	fs := make([]finding.Finding, 86_000)
	desc := strings.Repeat("A privileged container gets every capability. ", 6)
	for i := range fs {
		fs[i] = finding.Finding{
			RuleID: "k8s-pss-privileged", Kind: finding.KindMisconfiguration, Severity: finding.SeverityHigh,
			Layer: finding.LayerCluster, Title: "Privileged container", Message: fmt.Sprintf("container %q is privileged", "app"),
			Description: desc, Remediation: desc, Controls: []string{"pss-baseline:privileged", "cis-k8s-1.10:5.2.2"},
			References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
			Resource:    &finding.Resource{Kind: "Deployment", Namespace: "ns", Name: fmt.Sprintf("app-%d", i)},
			Location:    finding.Location{Path: fmt.Sprintf("ns-%02d/app-%04d.yaml", i%20, i/10), StartLine: i%300 + 1, EndLine: i%300 + 1, Field: "spec.template.spec.containers[0].securityContext.privileged"},
			Fingerprint: "0123456789abcdef",
		}
	}
	r := New(Tool{Name: "rampart", Version: "dev"}, []string{"."}, fs, false)
	for b.Loop() {
		if err := writeJSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
