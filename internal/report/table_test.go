package report_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/report"
)

var ansiRe = regexp.MustCompile("\x1b\\[[0-9;]*m")

func tableReport(showSuppressed, withCompliance bool) *report.Report {
	r := sampleReport(showSuppressed)
	if withCompliance {
		r.Compliance = sampleCompliance()
	}
	return r
}

func TestTableGolden(t *testing.T) {
	tests := []struct {
		name           string
		file           string
		showSuppressed bool
		compliance     bool
	}{
		{name: "findings", file: "table.golden.txt"},
		{name: "suppressed and compliance", file: "table-compliance.golden.txt", showSuppressed: true, compliance: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, "table", tableReport(tt.showSuppressed, tt.compliance), report.Options{})
			if ansiRe.Match(got) || strings.Contains(string(got), "\x1b") {
				t.Error("output without colour contains escape codes")
			}
			golden(t, tt.file, got)
		})
	}
}

// Colour adds escape codes and nothing else: stripped of them, the output
// is the plain one, alignment included.
func TestTableColor(t *testing.T) {
	for _, withCompliance := range []bool{false, true} {
		r := tableReport(true, withCompliance)
		plain := string(write(t, "table", r, report.Options{}))
		colored := string(write(t, "table", r, report.Options{Color: true}))
		if diff := cmp.Diff(ansiRe.ReplaceAllString(colored, ""), plain); diff != "" {
			t.Errorf("compliance %v: coloured output without escapes differs from plain (-got +want):\n%s", withCompliance, diff)
		}
		for _, code := range []string{
			"\x1b[1;97;41mCRITICAL", // bold white on red
			"\x1b[1;31mHIGH",
			"\x1b[33mMEDIUM",
			"\x1b[36mLOW",
			"\x1b[34mINFO",
			"\x1b[35mUNKNOWN",
			"\x1b[1mdeploy/web app.yaml\x1b[0m",
			"\x1b[2m (suppressed)\x1b[0m",
			"\x1b[0m",
		} {
			if !strings.Contains(colored, code) {
				t.Errorf("compliance %v: coloured output lacks %q", withCompliance, code)
			}
		}
		if withCompliance {
			for _, code := range []string{"\x1b[32mPASS\x1b[0m", "\x1b[1;31mFAIL\x1b[0m", "\x1b[2mSUPPRESSED\x1b[0m"} {
				if !strings.Contains(colored, code) {
					t.Errorf("coloured compliance section lacks %q", code)
				}
			}
		}
	}
}

func TestTableGroupsByFile(t *testing.T) {
	out := string(write(t, "table", tableReport(true, false), report.Options{}))
	lines := strings.Split(out, "\n")
	var headers []string
	for i, l := range lines {
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "─") {
			headers = append(headers, l)
			if got, want := len([]rune(lines[i+1])), len([]rune(l)); got != want {
				t.Errorf("underline of %q is %d wide, want %d", l, got, want)
			}
		}
	}
	want := []string{"broken/bad file.yaml", "build/Dockerfile", "deploy/web app.yaml", "go.sum", "legacy/ñandú/pod.yaml"}
	if diff := cmp.Diff(headers, want); diff != "" {
		t.Errorf("file headers (-got +want):\n%s", diff)
	}
	// Under each header come exactly that file's findings.
	wantRules := map[string][]string{
		"broken/bad file.yaml":  {"parse-error"},
		"build/Dockerfile":      {"dockerfile-no-healthcheck", "dockerfile-maintainer"},
		"deploy/web app.yaml":   {"k8s-pss-host-pid", "k8s-pss-privileged", "k8s-run-as-root", "k8s-image-latest"},
		"go.sum":                {"CVE-2024-1234"},
		"legacy/ñandú/pod.yaml": {"k8s-pss-seccomp"},
	}
	gotRules := map[string][]string{}
	file := ""
	headerRe := regexp.MustCompile(`^  (CRITICAL|HIGH|MEDIUM|LOW|INFO|UNKNOWN) +(\S+)`)
	for i, l := range lines {
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "─") {
			file = l
			continue
		}
		if m := headerRe.FindStringSubmatch(l); m != nil {
			gotRules[file] = append(gotRules[file], m[2])
		}
	}
	if diff := cmp.Diff(gotRules, wantRules); diff != "" {
		t.Errorf("findings per file (-got +want):\n%s", diff)
	}
}

func TestTableSummaryLine(t *testing.T) {
	f := func(rule string, sev finding.Severity, kind finding.Kind, suppressed bool) finding.Finding {
		return finding.Finding{RuleID: rule, Kind: kind, Severity: sev, Message: "m", Suppressed: suppressed, Location: finding.Location{Path: "a.yaml", StartLine: 1}}
	}
	mis, errk := finding.KindMisconfiguration, finding.KindError
	tests := []struct {
		name string
		fs   []finding.Finding
		want string
	}{
		{name: "nothing", want: "No findings"},
		{name: "one", fs: []finding.Finding{f("a", finding.SeverityHigh, mis, false)}, want: "1 finding: 1 high"},
		{
			name: "by severity, most severe first",
			fs: []finding.Finding{
				f("a", finding.SeverityLow, mis, false), f("b", finding.SeverityCritical, mis, false),
				f("c", finding.SeverityLow, mis, false), f("d", finding.SeverityUnknown, mis, false),
			},
			want: "4 findings: 1 critical, 2 low, 1 unknown",
		},
		{
			name: "suppressed only",
			fs:   []finding.Finding{f("a", finding.SeverityHigh, mis, true), f("b", finding.SeverityHigh, mis, true)},
			want: "No findings, 2 suppressed",
		},
		{
			name: "one error",
			fs:   []finding.Finding{f("parse-error", finding.SeverityUnknown, errk, false)},
			want: "1 finding: 1 unknown (1 file could not be scanned)",
		},
		{
			name: "errors and suppressed",
			fs: []finding.Finding{
				f("parse-error", finding.SeverityUnknown, errk, false), f("x", finding.SeverityUnknown, errk, false),
				f("a", finding.SeverityMedium, mis, false), f("b", finding.SeverityMedium, mis, true),
			},
			want: "3 findings: 1 medium, 2 unknown (2 files could not be scanned), 1 suppressed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report.New(tool, nil, tt.fs, false)
			lines := strings.Split(strings.TrimRight(string(write(t, "table", r, report.Options{})), "\n"), "\n")
			if got := lines[len(lines)-1]; got != tt.want {
				t.Errorf("summary line = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTableWarnings(t *testing.T) {
	r := report.New(tool, nil, nil, false)
	r.Warnings = []string{"first warning", "second warning"}
	got := string(write(t, "table", r, report.Options{}))
	want := "\nNo findings\nwarning: first warning\nwarning: second warning\n"
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("table (-got +want):\n%s", diff)
	}
}

func TestTableCompliance(t *testing.T) {
	r := report.New(tool, nil, nil, false)
	r.Compliance = sampleCompliance()
	got := string(write(t, "table", r, report.Options{}))
	want := `Compliance: pss-baseline

Deployment/prod/web  deploy/web app.yaml:1
  pss-baseline:host-namespaces  FAIL        k8s-pss-host-pid
  pss-baseline:privileged       FAIL        k8s-pss-privileged
  pss-baseline:seccomp          PASS
Pod/legacy/old  legacy/ñandú/pod.yaml:1
  pss-baseline:host-namespaces  PASS
  pss-baseline:privileged       FAIL        k8s-pss-privileged
  pss-baseline:seccomp          SUPPRESSED

Controls
  CONTROL                       PASSED  FAILED
  pss-baseline:host-namespaces  1       1
  pss-baseline:privileged       0       2
  pss-baseline:seccomp          2       0

No findings
`
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("table (-got +want):\n%s", diff)
	}
	for i, l := range strings.Split(got, "\n") {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("line %d %q has trailing spaces", i+1, l)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	for _, format := range report.Formats {
		t.Run(format, func(t *testing.T) {
			r := tableReport(true, true)
			if err := report.Write(&failWriter{}, format, r, report.Options{}); err == nil {
				t.Error("Write to a failing writer: want an error")
			}
		})
	}
}
