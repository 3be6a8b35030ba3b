package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/report"
)

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		name           string
		file           string
		showSuppressed bool
		compliance     bool
	}{
		{name: "default", file: "report.golden.json"},
		{name: "suppressed and compliance", file: "report-suppressed.golden.json", showSuppressed: true, compliance: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report.New(tool, []string{"."}, sampleFindings(), tt.showSuppressed)
			// created_at is the one field that changes from run to run.
			if time.Since(r.CreatedAt) > time.Minute || r.CreatedAt.After(time.Now()) {
				t.Errorf("CreatedAt = %v, want about now", r.CreatedAt)
			}
			r.CreatedAt = fixedTime
			r.Warnings = sampleReport(false).Warnings
			if tt.compliance {
				r.Compliance = sampleCompliance()
			}
			golden(t, tt.file, write(t, "json", r, report.Options{}))
		})
	}
}

// TestJSONSchema checks the documented shape of the JSON report on the
// decoded document, independently of the golden file.
func TestJSONSchema(t *testing.T) {
	for _, show := range []bool{false, true} {
		name := "hidden"
		if show {
			name = "shown"
		}
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			dec := json.NewDecoder(bytes.NewReader(write(t, "json", sampleReport(show), report.Options{})))
			dec.UseNumber()
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := doc["schema_version"]; got != json.Number("1") {
				t.Errorf("schema_version = %v, want 1", got)
			}
			if got, want := doc["created_at"], "2025-06-01T12:00:00Z"; got != want {
				t.Errorf("created_at = %v, want %v", got, want)
			}
			if diff := cmp.Diff(doc["tool"], map[string]any{"name": "rampart", "version": "1.2.3"}); diff != "" {
				t.Errorf("tool (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(doc["summary"], map[string]any{
				"total": json.Number("7"), "suppressed": json.Number("2"), "errors": json.Number("1"),
				"by_severity": map[string]any{
					"critical": json.Number("1"), "high": json.Number("1"), "medium": json.Number("1"),
					"low": json.Number("1"), "info": json.Number("1"), "unknown": json.Number("2"),
				},
			}); diff != "" {
				t.Errorf("summary (-got +want):\n%s", diff)
			}
			if _, ok := doc["compliance"]; ok {
				t.Error("compliance present without a compliance report")
			}

			fs, ok := doc["findings"].([]any)
			if !ok {
				t.Fatalf("findings = %T, want an array", doc["findings"])
			}
			wantN := 7
			if show {
				wantN = 9
			}
			if len(fs) != wantN {
				t.Fatalf("%d findings, want %d", len(fs), wantN)
			}
			severities := []string{"critical", "high", "medium", "low", "info", "unknown"}
			kinds := []string{"misconfiguration", "vulnerability", "secret", "error"}
			layers := []string{"cloud", "cluster", "container", "code"}
			suppressed := 0
			for i, x := range fs {
				f := x.(map[string]any)
				id := f["rule_id"]
				for _, k := range []string{"rule_id", "kind", "severity", "title", "message", "controls", "location", "fingerprint"} {
					if _, ok := f[k]; !ok {
						t.Errorf("finding %d (%v): no %q", i, id, k)
					}
				}
				if s, _ := f["severity"].(string); !slices.Contains(severities, s) {
					t.Errorf("finding %d (%v): severity %v, want a name", i, id, f["severity"])
				}
				if s, _ := f["kind"].(string); !slices.Contains(kinds, s) {
					t.Errorf("finding %d (%v): kind %v", i, id, f["kind"])
				}
				if l, ok := f["layer"]; ok && !slices.Contains(layers, l.(string)) {
					t.Errorf("finding %d (%v): layer %v", i, id, l)
				}
				if _, ok := f["controls"].([]any); !ok {
					t.Errorf("finding %d (%v): controls = %#v, want an array", i, id, f["controls"])
				}
				loc, _ := f["location"].(map[string]any)
				if p, _ := loc["path"].(string); p == "" {
					t.Errorf("finding %d (%v): location.path missing", i, id)
				}
				for k := range loc {
					if !slices.Contains([]string{"path", "start_line", "end_line", "field"}, k) {
						t.Errorf("finding %d (%v): unexpected location key %q", i, id, k)
					}
				}
				if fp, _ := f["fingerprint"].(string); len(fp) != 16 {
					t.Errorf("finding %d (%v): fingerprint %q", i, id, fp)
				}
				// suppressed appears only when true, with its suppression.
				if v, ok := f["suppressed"]; ok {
					suppressed++
					if v != true {
						t.Errorf("finding %d (%v): suppressed = %v; it should be left out unless true", i, id, v)
					}
					if _, ok := f["suppression"]; !ok {
						t.Errorf("finding %d (%v): suppressed without suppression", i, id)
					}
				} else if _, ok := f["suppression"]; ok {
					t.Errorf("finding %d (%v): suppression without suppressed", i, id)
				}
			}
			if want := map[bool]int{false: 0, true: 2}[show]; suppressed != want {
				t.Errorf("%d suppressed findings in the output, want %d", suppressed, want)
			}
		})
	}
}

func TestJSONFindingFields(t *testing.T) {
	r := sampleReport(true)
	var doc struct {
		Findings []map[string]json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(write(t, "json", r, report.Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	byRule := map[string]map[string]json.RawMessage{}
	for _, f := range doc.Findings {
		var id string
		if err := json.Unmarshal(f["rule_id"], &id); err != nil {
			t.Fatal(err)
		}
		byRule[id] = f
	}
	tests := []struct {
		rule string
		key  string
		want string // raw JSON; "" means the key must be absent
	}{
		{"k8s-pss-privileged", "severity", `"critical"`},
		{"k8s-pss-privileged", "layer", `"cluster"`},
		{"k8s-pss-privileged", "resource", `{"kind":"Deployment","namespace":"prod","name":"web"}`},
		{"k8s-pss-privileged", "location", `{"path":"deploy/web app.yaml","start_line":20,"end_line":21,"field":"spec.template.spec.containers[0].securityContext.privileged"}`},
		{"k8s-pss-privileged", "controls", `["pss-baseline:privileged","cis-k8s-1.9:5.2.1"]`},
		{"k8s-pss-privileged", "remediation", `"Set securityContext.privileged to false."`},
		{"k8s-pss-privileged", "message", `"Container „app“ runs privileged — full access to the node ✗"`},
		{"k8s-pss-privileged", "description", `"Privileged containers share the host's devices & kernel <capabilities>."`},
		{"k8s-pss-privileged", "suppressed", ""},
		{"k8s-image-latest", "controls", `[]`},
		{"k8s-image-latest", "remediation", ""},
		{"dockerfile-no-healthcheck", "resource", ""},
		{"parse-error", "location", `{"path":"broken/bad file.yaml"}`},
		{"parse-error", "kind", `"error"`},
		{"parse-error", "severity", `"unknown"`},
		{"parse-error", "layer", ""},
		{"k8s-run-as-root", "suppressed", `true`},
		{"k8s-run-as-root", "suppression", `{"source":"inline","reason":"needs root until v2"}`},
		{"k8s-pss-seccomp", "suppression", `{"source":".rampartignore.yaml","reason":"legacy charts are being rewritten","expires":"2030-01-01"}`},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.key, func(t *testing.T) {
			f, ok := byRule[tt.rule]
			if !ok {
				t.Fatalf("no finding for %s", tt.rule)
			}
			raw, ok := f[tt.key]
			if tt.want == "" {
				if ok {
					t.Errorf("%s = %s, want it left out", tt.key, raw)
				}
				return
			}
			var got bytes.Buffer
			if err := json.Compact(&got, raw); err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("%s = %s, want %s", tt.key, got.String(), tt.want)
			}
		})
	}
}

func TestJSONEmptyReport(t *testing.T) {
	r := report.New(tool, nil, nil, false)
	r.CreatedAt = fixedTime
	got := string(write(t, "json", r, report.Options{}))
	want := `{
  "schema_version": 1,
  "tool": {
    "name": "rampart",
    "version": "1.2.3"
  },
  "created_at": "2025-06-01T12:00:00Z",
  "targets": [],
  "summary": {
    "total": 0,
    "by_severity": {
      "critical": 0,
      "high": 0,
      "info": 0,
      "low": 0,
      "medium": 0,
      "unknown": 0
    },
    "suppressed": 0,
    "errors": 0
  },
  "findings": []
}
`
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("empty report (-got +want):\n%s", diff)
	}
}

// The JSON report reads back into the same Go values.
func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(true)
	r.Compliance = sampleCompliance()
	var got report.Report
	if err := json.Unmarshal(write(t, "json", r, report.Options{}), &got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if diff := cmp.Diff(&got, r); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
	if !strings.Contains(string(write(t, "json", r, report.Options{})), `"failed_rules": [`) {
		t.Error(`compliance checks should carry "failed_rules"`)
	}
}
