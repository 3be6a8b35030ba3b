package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/compliance"
	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixedTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var tool = report.Tool{Name: "rampart", Version: "1.2.3"}

// sampleFindings covers every severity, both suppression sources, an error
// finding without a line, findings without a resource, unicode and
// characters HTML escaping would mangle, and paths with spaces. The order is
// deliberately not the report order.
func sampleFindings() []finding.Finding {
	web := &finding.Resource{Kind: "Deployment", Namespace: "prod", Name: "web"}
	fs := []finding.Finding{
		{
			RuleID: "dockerfile-no-healthcheck", Kind: finding.KindMisconfiguration, Severity: finding.SeverityLow,
			Layer: finding.LayerContainer, Title: "No HEALTHCHECK instruction",
			Message:     "Image has no HEALTHCHECK; orchestrators can't tell if it's alive",
			Remediation: "Add a HEALTHCHECK instruction.",
			Controls:    []string{"cis-docker-1.6:4.6"},
			Location:    finding.Location{Path: "build/Dockerfile", StartLine: 1, EndLine: 1},
		},
		{
			RuleID: "k8s-pss-privileged", Kind: finding.KindMisconfiguration, Severity: finding.SeverityCritical,
			Layer: finding.LayerCluster, Title: "Privileged container",
			Message:     "Container „app“ runs privileged — full access to the node ✗",
			Description: "Privileged containers share the host's devices & kernel <capabilities>.",
			Remediation: "Set securityContext.privileged to false.",
			Controls:    []string{"pss-baseline:privileged", "cis-k8s-1.9:5.2.1"},
			References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
			Resource:    web,
			Location: finding.Location{
				Path: "deploy/web app.yaml", StartLine: 20, EndLine: 21,
				Field: "spec.template.spec.containers[0].securityContext.privileged",
			},
		},
		{
			RuleID: "k8s-image-latest", Kind: finding.KindMisconfiguration, Severity: finding.SeverityMedium,
			Layer: finding.LayerContainer, Title: "Image uses the latest tag",
			Message:  `Image "nginx:latest" is not pinned`,
			Resource: web,
			Location: finding.Location{Path: "deploy/web app.yaml", StartLine: 30, EndLine: 30, Field: "spec.template.spec.containers[0].image"},
			// Controls deliberately nil: the JSON report must still say [].
		},
		{
			RuleID: "k8s-pss-host-pid", Kind: finding.KindMisconfiguration, Severity: finding.SeverityHigh,
			Layer: finding.LayerCluster, Title: "Host PID namespace",
			Message:     "Pod shares the host's PID namespace",
			Remediation: "Remove spec.hostPID.",
			Controls:    []string{"pss-baseline:host-namespaces"},
			Resource:    web,
			Location:    finding.Location{Path: "deploy/web app.yaml", StartLine: 8, EndLine: 8, Field: "spec.template.spec.hostPID"},
		},
		{
			RuleID: "dockerfile-maintainer", Kind: finding.KindMisconfiguration, Severity: finding.SeverityInfo,
			Layer: finding.LayerContainer, Title: "MAINTAINER is deprecated",
			Message:  "Use a LABEL instead of MAINTAINER",
			Controls: []string{},
			Location: finding.Location{Path: "build/Dockerfile", StartLine: 3, EndLine: 3},
		},
		{
			RuleID: "CVE-2024-1234", Kind: finding.KindVulnerability, Severity: finding.SeverityUnknown,
			Layer: finding.LayerCode, Title: "example.com/lib: crash on crafted input",
			Message:  "example.com/lib v1.0.0 is affected; fixed in v1.0.1",
			Controls: []string{},
			Location: finding.Location{Path: "go.sum", StartLine: 12},
		},
		{
			RuleID: "k8s-run-as-root", Kind: finding.KindMisconfiguration, Severity: finding.SeverityHigh,
			Layer: finding.LayerCluster, Title: "Runs as root",
			Message:     "Container app may run as root",
			Controls:    []string{"pss-restricted:running-as-non-root"},
			Resource:    web,
			Location:    finding.Location{Path: "deploy/web app.yaml", StartLine: 25, EndLine: 25, Field: "spec.template.spec.securityContext"},
			Suppressed:  true,
			Suppression: &finding.Suppression{Source: "inline", Reason: "needs root until v2"},
		},
		{
			RuleID: "k8s-pss-seccomp", Kind: finding.KindMisconfiguration, Severity: finding.SeverityMedium,
			Layer: finding.LayerCluster, Title: "Seccomp profile not set",
			Message:     "Pod „legacy“ sets no seccomp profile",
			Controls:    []string{"pss-baseline:seccomp", "pss-restricted:seccomp"},
			Resource:    &finding.Resource{Kind: "Pod", Namespace: "legacy", Name: "old"},
			Location:    finding.Location{Path: "legacy/ñandú/pod.yaml", StartLine: 5, EndLine: 9, Field: "spec.securityContext.seccompProfile"},
			Suppressed:  true,
			Suppression: &finding.Suppression{Source: ".rampartignore.yaml", Reason: "legacy charts are being rewritten", Expires: "2030-01-01"},
		},
		{
			RuleID: "parse-error", Kind: finding.KindError, Severity: finding.SeverityUnknown,
			Title:    "File could not be scanned",
			Message:  "yaml: did not find expected key",
			Controls: []string{},
			Location: finding.Location{Path: "broken/bad file.yaml"},
		},
	}
	for i := range fs {
		fs[i].SetFingerprint()
	}
	return fs
}

// sampleReport builds the report the golden files show, with a fixed time.
func sampleReport(showSuppressed bool) *report.Report {
	r := report.New(tool, []string{"."}, sampleFindings(), showSuppressed)
	r.CreatedAt = fixedTime
	r.Warnings = []string{".rampartignore.yaml:7: ignore entry for k8s-old expired on 2025-05-01 and no longer suppresses"}
	return r
}

func sampleCompliance() *compliance.Report {
	return &compliance.Report{
		Framework: "pss-baseline",
		Controls: []compliance.Control{
			{ID: "pss-baseline:host-namespaces", Rules: []string{"k8s-pss-host-pid"}, Passed: 1, Failed: 1},
			{ID: "pss-baseline:privileged", Rules: []string{"k8s-pss-privileged"}, Passed: 0, Failed: 2},
			{ID: "pss-baseline:seccomp", Rules: []string{"k8s-pss-seccomp"}, Passed: 2, Failed: 0},
		},
		Resources: []compliance.Resource{
			{Resource: finding.Resource{Kind: "Deployment", Namespace: "prod", Name: "web"}, Path: "deploy/web app.yaml", Line: 1, Checks: []compliance.Check{
				{Control: "pss-baseline:host-namespaces", Status: compliance.Fail, Rules: []string{"k8s-pss-host-pid"}},
				{Control: "pss-baseline:privileged", Status: compliance.Fail, Rules: []string{"k8s-pss-privileged"}},
				{Control: "pss-baseline:seccomp", Status: compliance.Pass},
			}},
			{Resource: finding.Resource{Kind: "Pod", Namespace: "legacy", Name: "old"}, Path: "legacy/ñandú/pod.yaml", Line: 1, Checks: []compliance.Check{
				{Control: "pss-baseline:host-namespaces", Status: compliance.Pass},
				{Control: "pss-baseline:privileged", Status: compliance.Fail, Rules: []string{"k8s-pss-privileged"}},
				{Control: "pss-baseline:seccomp", Status: compliance.Suppressed},
			}},
		},
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("%s differs (-got +want); if the change is intended, run go test -update:\n%s", p, diff)
	}
}

func write(t *testing.T, format string, r *report.Report, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, format, r, opts); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestNewSummaryAndFiltering(t *testing.T) {
	tests := []struct {
		name           string
		showSuppressed bool
		wantRules      []string
	}{
		{
			name: "suppressed hidden",
			wantRules: []string{
				"parse-error", "dockerfile-no-healthcheck", "dockerfile-maintainer",
				"k8s-pss-host-pid", "k8s-pss-privileged", "k8s-image-latest", "CVE-2024-1234",
			},
		},
		{
			name: "suppressed shown", showSuppressed: true,
			wantRules: []string{
				"parse-error", "dockerfile-no-healthcheck", "dockerfile-maintainer",
				"k8s-pss-host-pid", "k8s-pss-privileged", "k8s-run-as-root", "k8s-image-latest",
				"CVE-2024-1234", "k8s-pss-seccomp",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report.New(tool, nil, sampleFindings(), tt.showSuppressed)
			var gotRules []string
			for _, f := range r.Findings {
				gotRules = append(gotRules, f.RuleID)
				if f.Controls == nil {
					t.Errorf("%s: Controls is nil, want an empty slice", f.RuleID)
				}
			}
			if diff := cmp.Diff(gotRules, tt.wantRules); diff != "" {
				t.Errorf("findings (-got +want):\n%s", diff)
			}
			// Counts never depend on showSuppressed.
			wantSummary := report.Summary{
				Total: 7,
				BySeverity: map[string]int{
					"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 1, "unknown": 2,
				},
				Suppressed: 2,
				Errors:     1,
			}
			if diff := cmp.Diff(r.Summary, wantSummary); diff != "" {
				t.Errorf("summary (-got +want):\n%s", diff)
			}
			if r.SchemaVersion != 1 {
				t.Errorf("SchemaVersion = %d, want 1", r.SchemaVersion)
			}
			if r.Targets == nil {
				t.Error("Targets is nil, want an empty slice")
			}
			if r.CreatedAt.Location() != time.UTC || r.CreatedAt.Nanosecond() != 0 {
				t.Errorf("CreatedAt = %v, want UTC whole seconds", r.CreatedAt)
			}
		})
	}
}

func TestNewDoesNotModifyInput(t *testing.T) {
	in := sampleFindings()
	before := sampleFindings()
	report.New(tool, nil, in, true)
	if diff := cmp.Diff(in, before); diff != "" {
		t.Errorf("New changed its input (-got +want):\n%s", diff)
	}
}

func TestNewEmpty(t *testing.T) {
	r := report.New(tool, nil, nil, false)
	if r.Findings == nil {
		t.Error("Findings is nil, want an empty slice")
	}
	want := report.Summary{BySeverity: map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0, "unknown": 0}}
	if diff := cmp.Diff(r.Summary, want); diff != "" {
		t.Errorf("summary (-got +want):\n%s", diff)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := report.Write(&buf, "xml", sampleReport(false), report.Options{})
	if err == nil {
		t.Fatal("Write(xml): want an error")
	}
	for _, f := range report.Formats {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q should list format %s", err, f)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Write(xml) wrote %q, want nothing", buf.String())
	}
}
