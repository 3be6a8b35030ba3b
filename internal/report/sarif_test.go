package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	// The official SARIF 2.1.0 schema ships inside go-sarif as a Go string
	// constant; the blank import keeps the module in go.mod for the test.
	_ "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/report"
)

const sarifModule = "github.com/owenrumney/go-sarif/v3"

// officialSARIFSchema compiles the OASIS SARIF 2.1.0 schema (draft-04) as
// go-sarif vendors it, located through the go command.
func officialSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not available to locate %s: %v", sarifModule, err)
	}
	cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", sarifModule)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v\n%s", sarifModule, err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("go list -m %s: module not downloaded (run go mod download %s)", sarifModule, sarifModule)
	}
	src, err := os.ReadFile(filepath.Join(dir, "pkg", "report", "v210", "sarif", "schema.go"))
	if err != nil {
		t.Fatalf("read vendored schema: %v", err)
	}
	first, last := bytes.IndexByte(src, '`'), bytes.LastIndexByte(src, '`')
	if first < 0 || last <= first {
		t.Fatal("schema.go: no back-quoted schema found")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src[first+1 : last]))
	if err != nil {
		t.Fatalf("schema.go: schema is not JSON: %v", err)
	}
	obj, _ := doc.(map[string]any)
	if got, want := obj["$schema"], "http://json-schema.org/draft-04/schema#"; got != want {
		t.Fatalf("schema $schema = %v, want %v", got, want)
	}
	id, _ := obj["id"].(string)
	if !strings.Contains(id, "sarif-schema-2.1.0") {
		t.Fatalf("schema id = %q, want the SARIF 2.1.0 schema", id)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func validateSARIF(sch *jsonschema.Schema, b []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

func mustJSON(t *testing.T, doc any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sarifCases are the documents every SARIF test checks.
func sarifCases() []struct {
	name string
	r    *report.Report
	opts report.Options
} {
	withCompliance := sampleReport(true)
	withCompliance.Compliance = sampleCompliance()
	devVersion := report.New(report.Tool{Name: "rampart", Version: "dev"}, nil, sampleFindings()[:2], false)
	return []struct {
		name string
		r    *report.Report
		opts report.Options
	}{
		{name: "findings", r: sampleReport(false)},
		{name: "findings and suppressed", r: sampleReport(true)},
		{name: "base dir with space", r: withCompliance, opts: report.Options{BaseDir: "my repo/k8s"}},
		{name: "empty", r: report.New(tool, nil, nil, false)},
		{name: "dev version", r: devVersion, opts: report.Options{BaseDir: "."}},
	}
}

func TestSARIFValidatesAgainstOfficialSchema(t *testing.T) {
	sch := officialSARIFSchema(t)
	for _, tt := range sarifCases() {
		t.Run(tt.name, func(t *testing.T) {
			b := write(t, "sarif", tt.r, tt.opts)
			if err := validateSARIF(sch, b); err != nil {
				t.Errorf("SARIF does not validate against the official schema:\n%v\n%s", err, b)
			}
		})
	}
}

// The validator must reject invalid documents, or the test above proves
// nothing.
func TestSARIFSchemaRejectsInvalid(t *testing.T) {
	sch := officialSARIFSchema(t)
	valid := write(t, "sarif", sampleReport(true), report.Options{})
	if err := validateSARIF(sch, valid); err != nil {
		t.Fatalf("base document invalid: %v", err)
	}
	run := func(doc map[string]any) map[string]any { return doc["runs"].([]any)[0].(map[string]any) }
	result := func(doc map[string]any) map[string]any { return run(doc)["results"].([]any)[0].(map[string]any) }
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
	}{
		{"level fatal", func(d map[string]any) { result(d)["level"] = "fatal" }},
		{"version 2.0.0", func(d map[string]any) { d["version"] = "2.0.0" }},
		{"no runs", func(d map[string]any) { delete(d, "runs") }},
		{"unknown top-level property", func(d map[string]any) { d["rampart"] = true }},
		{"startLine 0", func(d map[string]any) {
			for _, r := range run(d)["results"].([]any) {
				loc := r.(map[string]any)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
				if reg, ok := loc["region"].(map[string]any); ok {
					reg["startLine"] = 0
					return
				}
			}
			panic("no region")
		}},
		{"ruleIndex -2", func(d map[string]any) { result(d)["ruleIndex"] = -2 }},
		{"message without text", func(d map[string]any) { result(d)["message"] = map[string]any{} }},
		{"suppression kind", func(d map[string]any) {
			for _, r := range run(d)["results"].([]any) {
				if s, ok := r.(map[string]any)["suppressions"].([]any); ok {
					s[0].(map[string]any)["kind"] = "ignored"
					return
				}
			}
			panic("no suppression")
		}},
		{"driver without name", func(d map[string]any) {
			delete(run(d)["tool"].(map[string]any)["driver"].(map[string]any), "name")
		}},
		{"informationUri relative", func(d map[string]any) {
			run(d)["tool"].(map[string]any)["driver"].(map[string]any)["informationUri"] = "rampart"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeJSON(t, valid)
			tt.mutate(doc)
			err := validateSARIF(sch, mustJSON(t, doc))
			if err == nil {
				t.Fatal("the schema accepted an invalid document")
			}
			t.Logf("rejected as expected: %v", err)
		})
	}
}

// uriRefRe matches an RFC 3986 URI reference: only unreserved, reserved and
// percent-encoded characters (no spaces, no raw non-ASCII).
var uriRefRe = regexp.MustCompile(`^([A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$`)

// githubProblems checks what GitHub code scanning requires of an upload
// beyond the schema, as far as that can be checked offline.
func githubProblems(doc map[string]any) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	arr := func(v any) []any { a, _ := v.([]any); return a }

	runs := arr(doc["runs"])
	if len(runs) == 0 {
		return []string{"no runs"}
	}
	for ri, rv := range runs {
		run := obj(rv)
		driver := obj(obj(run["tool"])["driver"])
		if str(driver, "name") == "" {
			bad("run %d: tool.driver.name is empty", ri)
		}
		rules := arr(driver["rules"])
		ids := map[string]int{}
		for i, rv := range rules {
			rule := obj(rv)
			id := str(rule, "id")
			if id == "" {
				bad("rule %d: no id", i)
			}
			if _, dup := ids[id]; dup {
				bad("rule %s: defined twice", id)
			}
			ids[id] = i
			if str(obj(rule["shortDescription"]), "text") == "" {
				bad("rule %s: no shortDescription.text", id)
			}
			if str(obj(rule["help"]), "text") == "" {
				bad("rule %s: no help.text", id)
			}
			props := obj(rule["properties"])
			sev, ok := props["security-severity"].(string)
			if !ok {
				bad("rule %s: properties.security-severity = %v (%T), want a numeric string", id, props["security-severity"], props["security-severity"])
			} else if v, err := strconv.ParseFloat(sev, 64); err != nil || v < 0 || v > 10 {
				bad("rule %s: properties.security-severity %q is not a number in [0, 10]", id, sev)
			}
			tags := arr(props["tags"])
			hasSecurity := false
			for _, tag := range tags {
				hasSecurity = hasSecurity || tag == "security"
			}
			if !hasSecurity {
				bad("rule %s: no security tag (GitHub shows security-severity only for it)", id)
			}
			if len(tags) > 20 {
				bad("rule %s: %d tags, GitHub keeps 20", id, len(tags))
			}
		}
		for i, xv := range arr(run["results"]) {
			res := obj(xv)
			ruleID := str(res, "ruleId")
			idx, ok := ids[ruleID]
			if !ok {
				bad("result %d: ruleId %q not in tool.driver.rules", i, ruleID)
			}
			n, isNum := res["ruleIndex"].(json.Number)
			gotIdx, err := n.Int64()
			switch {
			case !isNum || err != nil:
				bad("result %d: ruleIndex = %#v, want an integer", i, res["ruleIndex"])
			case ok && gotIdx != int64(idx):
				bad("result %d: ruleIndex %d, but rule %q is at %d", i, gotIdx, ruleID, idx)
			}
			if str(obj(res["message"]), "text") == "" {
				bad("result %d: empty message.text", i)
			}
			fps := obj(res["partialFingerprints"])
			if len(fps) == 0 {
				bad("result %d: no partialFingerprints", i)
			}
			for k, v := range fps {
				if s, _ := v.(string); s == "" {
					bad("result %d: partialFingerprints[%s] is empty", i, k)
				}
			}
			locs := arr(res["locations"])
			if len(locs) == 0 {
				bad("result %d: no locations", i)
			}
			for _, lv := range locs {
				phys := obj(obj(lv)["physicalLocation"])
				uri := str(obj(phys["artifactLocation"]), "uri")
				switch u, err := url.Parse(uri); {
				case uri == "":
					bad("result %d: empty artifactLocation.uri", i)
				case strings.HasPrefix(uri, "/") || strings.HasPrefix(uri, "./") || strings.Contains(uri, `\`):
					bad("result %d: uri %q is not relative to the repository root", i, uri)
				case err != nil || u.IsAbs() || u.Host != "":
					bad("result %d: uri %q is not a relative reference", i, uri)
				case !uriRefRe.MatchString(uri):
					bad("result %d: uri %q has characters that must be percent-encoded", i, uri)
				}
				if reg, ok := phys["region"]; ok {
					start, err := obj(reg)["startLine"].(json.Number).Int64()
					if err != nil || start < 1 {
						bad("result %d: region.startLine %v, want >= 1", i, obj(reg)["startLine"])
					}
					if end, ok := obj(reg)["endLine"].(json.Number); ok {
						if e, err := end.Int64(); err != nil || e < start {
							bad("result %d: region.endLine %v before startLine %d", i, end, start)
						}
					}
				}
			}
		}
	}
	return probs
}

func TestSARIFGitHubRequirements(t *testing.T) {
	for _, tt := range sarifCases() {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeJSON(t, write(t, "sarif", tt.r, tt.opts))
			if probs := githubProblems(doc); len(probs) > 0 {
				t.Errorf("GitHub code scanning would reject or misread the upload:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}

// The GitHub checks must catch broken documents too.
func TestSARIFGitHubChecksRejectInvalid(t *testing.T) {
	valid := write(t, "sarif", sampleReport(true), report.Options{})
	run := func(doc map[string]any) map[string]any { return doc["runs"].([]any)[0].(map[string]any) }
	result := func(doc map[string]any) map[string]any { return run(doc)["results"].([]any)[0].(map[string]any) }
	rule := func(doc map[string]any) map[string]any {
		return run(doc)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	}
	artifact := func(doc map[string]any) map[string]any {
		return result(doc)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)
	}
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
	}{
		{"unknown ruleId", func(d map[string]any) { result(d)["ruleId"] = "nope" }},
		{"wrong ruleIndex", func(d map[string]any) { result(d)["ruleIndex"] = json.Number("3") }},
		{"absolute uri", func(d map[string]any) { artifact(d)["uri"] = "/work/deploy/a.yaml" }},
		{"file uri", func(d map[string]any) { artifact(d)["uri"] = "file:///work/deploy/a.yaml" }},
		{"dot-slash uri", func(d map[string]any) { artifact(d)["uri"] = "./deploy/a.yaml" }},
		{"space in uri", func(d map[string]any) { artifact(d)["uri"] = "deploy/web app.yaml" }},
		{"no partialFingerprints", func(d map[string]any) { delete(result(d), "partialFingerprints") }},
		{"no help", func(d map[string]any) { delete(rule(d), "help") }},
		{"no security-severity", func(d map[string]any) { delete(rule(d)["properties"].(map[string]any), "security-severity") }},
		{"word security-severity", func(d map[string]any) { rule(d)["properties"].(map[string]any)["security-severity"] = "high" }},
		{"numeric security-severity", func(d map[string]any) { rule(d)["properties"].(map[string]any)["security-severity"] = json.Number("8") }},
		{"startLine 0", func(d map[string]any) {
			for _, r := range run(d)["results"].([]any) {
				loc := r.(map[string]any)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
				if reg, ok := loc["region"].(map[string]any); ok {
					reg["startLine"] = json.Number("0")
					return
				}
			}
			panic("no region")
		}},
		{"duplicate rule", func(d map[string]any) {
			drv := run(d)["tool"].(map[string]any)["driver"].(map[string]any)
			drv["rules"] = append(drv["rules"].([]any), rule(d))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeJSON(t, valid)
			tt.mutate(doc)
			probs := githubProblems(doc)
			if len(probs) == 0 {
				t.Fatal("the checks accepted a broken document")
			}
			t.Logf("rejected as expected: %s", strings.Join(probs, "; "))
		})
	}
}

// sarifDoc is the part of the output the content test looks at.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name            string `json:"name"`
				Version         string `json:"version"`
				SemanticVersion string `json:"semanticVersion"`
				Rules           []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Help struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					Properties struct {
						Tags             []string `json:"tags"`
						SecuritySeverity string   `json:"security-severity"`
					} `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	Level     string `json:"level"`
	Message   string
	URI       string
	StartLine int
	EndLine   int
	Suppress  string // kind: justification
	Raw       struct {
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
		Locations []struct {
			PhysicalLocation struct {
				ArtifactLocation struct {
					URI string `json:"uri"`
				} `json:"artifactLocation"`
				Region *struct {
					StartLine int `json:"startLine"`
					EndLine   int `json:"endLine"`
				} `json:"region"`
			} `json:"physicalLocation"`
		} `json:"locations"`
		Suppressions []struct {
			Kind          string `json:"kind"`
			Justification string `json:"justification"`
		} `json:"suppressions"`
	} `json:"-"`
}

func (r *sarifResult) UnmarshalJSON(b []byte) error {
	var head struct {
		RuleID string `json:"ruleId"`
		Level  string `json:"level"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &r.Raw); err != nil {
		return err
	}
	r.RuleID, r.Level, r.Message = head.RuleID, head.Level, r.Raw.Message.Text
	if len(r.Raw.Locations) != 1 {
		return errors.New("want exactly one location")
	}
	pl := r.Raw.Locations[0].PhysicalLocation
	r.URI = pl.ArtifactLocation.URI
	if pl.Region != nil {
		r.StartLine, r.EndLine = pl.Region.StartLine, pl.Region.EndLine
	}
	for _, s := range r.Raw.Suppressions {
		r.Suppress += s.Kind + ": " + s.Justification
	}
	return nil
}

func TestSARIFContent(t *testing.T) {
	b := write(t, "sarif", sampleReport(true), report.Options{})
	// Unicode and HTML-special characters are written as they are.
	for _, s := range []string{"„app“", "✗", "„legacy“", "&", "<capabilities>"} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("output does not contain %q verbatim", s)
		}
	}
	var doc sarifDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if doc.Version != "2.1.0" || doc.Schema == "" || len(doc.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs; want 2.1.0, set, 1", doc.Version, doc.Schema, len(doc.Runs))
	}
	drv := doc.Runs[0].Tool.Driver
	if drv.Name != "rampart" || drv.Version != "1.2.3" || drv.SemanticVersion != "1.2.3" {
		t.Errorf("driver %q %q %q, want rampart 1.2.3 1.2.3", drv.Name, drv.Version, drv.SemanticVersion)
	}

	got := doc.Runs[0].Results
	for i := range got {
		got[i].Raw = sarifResult{}.Raw
	}
	want := []sarifResult{
		{RuleID: "parse-error", Level: "note", Message: "yaml: did not find expected key", URI: "broken/bad%20file.yaml"},
		{RuleID: "dockerfile-no-healthcheck", Level: "note", Message: "Image has no HEALTHCHECK; orchestrators can't tell if it's alive", URI: "build/Dockerfile", StartLine: 1, EndLine: 1},
		{RuleID: "dockerfile-maintainer", Level: "note", Message: "Use a LABEL instead of MAINTAINER", URI: "build/Dockerfile", StartLine: 3, EndLine: 3},
		{RuleID: "k8s-pss-host-pid", Level: "error", Message: "Pod shares the host's PID namespace (Deployment/prod/web)", URI: "deploy/web%20app.yaml", StartLine: 8, EndLine: 8},
		{RuleID: "k8s-pss-privileged", Level: "error", Message: "Container „app“ runs privileged — full access to the node ✗ (Deployment/prod/web)", URI: "deploy/web%20app.yaml", StartLine: 20, EndLine: 21},
		{RuleID: "k8s-run-as-root", Level: "error", Message: "Container app may run as root (Deployment/prod/web)", URI: "deploy/web%20app.yaml", StartLine: 25, EndLine: 25, Suppress: "inSource: inline: needs root until v2"},
		{RuleID: "k8s-image-latest", Level: "warning", Message: `Image "nginx:latest" is not pinned (Deployment/prod/web)`, URI: "deploy/web%20app.yaml", StartLine: 30, EndLine: 30},
		{RuleID: "CVE-2024-1234", Level: "note", Message: "example.com/lib v1.0.0 is affected; fixed in v1.0.1", URI: "go.sum", StartLine: 12},
		{RuleID: "k8s-pss-seccomp", Level: "warning", Message: "Pod „legacy“ sets no seccomp profile (Pod/legacy/old)", URI: "legacy/%C3%B1and%C3%BA/pod.yaml", StartLine: 5, EndLine: 9, Suppress: "external: .rampartignore.yaml: legacy charts are being rewritten"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("results (-got +want):\n%s", diff)
	}

	sev := map[string]string{}
	for _, r := range drv.Rules {
		sev[r.ID] = r.DefaultConfiguration.Level + " " + r.Properties.SecuritySeverity
	}
	wantSev := map[string]string{
		"parse-error": "note 0.0", "dockerfile-no-healthcheck": "note 3.0", "dockerfile-maintainer": "note 0.0",
		"k8s-pss-host-pid": "error 8.0", "k8s-pss-privileged": "error 9.5", "k8s-run-as-root": "error 8.0",
		"k8s-image-latest": "warning 5.5", "CVE-2024-1234": "note 0.0", "k8s-pss-seccomp": "warning 5.5",
	}
	if diff := cmp.Diff(sev, wantSev); diff != "" {
		t.Errorf("rule levels and security-severity (-got +want):\n%s", diff)
	}

	for _, r := range drv.Rules {
		if r.ID != "k8s-pss-privileged" {
			continue
		}
		if r.Name != "PrivilegedContainer" {
			t.Errorf("rule name %q, want PrivilegedContainer", r.Name)
		}
		if r.HelpURI != "https://kubernetes.io/docs/concepts/security/pod-security-standards/" {
			t.Errorf("helpUri %q", r.HelpURI)
		}
		if diff := cmp.Diff(r.Properties.Tags, []string{"security", "misconfiguration", "cis-k8s-1.9:5.2.1", "cluster", "pss-baseline:privileged"}); diff != "" {
			t.Errorf("tags (-got +want):\n%s", diff)
		}
		for _, s := range []string{"Set securityContext.privileged to false.", "pss-baseline:privileged"} {
			if !strings.Contains(r.Help.Text, s) || !strings.Contains(r.Help.Markdown, s) {
				t.Errorf("help text and markdown should contain %q:\n%s\n%s", s, r.Help.Text, r.Help.Markdown)
			}
		}
	}
}

func TestSARIFArtifactURI(t *testing.T) {
	tests := []struct {
		base, path string
		want       string
	}{
		{"", "deploy/a.yaml", "deploy/a.yaml"},
		{".", "deploy/a.yaml", "deploy/a.yaml"},
		{"", "./deploy/a.yaml", "deploy/a.yaml"},
		{"infra/k8s", "deploy/a.yaml", "infra/k8s/deploy/a.yaml"},
		{"infra/k8s/", "./a.yaml", "infra/k8s/a.yaml"},
		{"my repo", "web app.yaml", "my%20repo/web%20app.yaml"},
		{"", "legacy/ñandú/pod.yaml", "legacy/%C3%B1and%C3%BA/pod.yaml"},
		{"", "50%/#1?.yaml", "50%25/%231%3F.yaml"},
		{"", "c:/x.yaml", "c%3A/x.yaml"},
		{"", "a:b.yaml", "a%3Ab.yaml"},
		{"", "Dockerfile", "Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.base+"|"+tt.path, func(t *testing.T) {
			f := finding.Finding{RuleID: "r", Severity: finding.SeverityLow, Message: "m", Location: finding.Location{Path: tt.path, StartLine: 1}}
			f.SetFingerprint()
			r := report.New(tool, nil, []finding.Finding{f}, false)
			var doc sarifDoc
			if err := json.Unmarshal(write(t, "sarif", r, report.Options{BaseDir: tt.base}), &doc); err != nil {
				t.Fatal(err)
			}
			got := doc.Runs[0].Results[0].URI
			if got != tt.want {
				t.Errorf("uri = %q, want %q", got, tt.want)
			}
			// The URI resolves back to the file.
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", got, err)
			}
			wantPath := strings.TrimPrefix(tt.path, "./")
			if tt.base != "" && tt.base != "." {
				wantPath = strings.TrimSuffix(tt.base, "/") + "/" + wantPath
			}
			if u.Scheme != "" || u.Path != wantPath {
				t.Errorf("uri %q resolves to scheme %q path %q, want path %q", got, u.Scheme, u.Path, wantPath)
			}
		})
	}
}

// A finding with no message still gets a non-empty SARIF message.
func TestSARIFEmptyMessage(t *testing.T) {
	fs := []finding.Finding{
		{RuleID: "with-title", Title: "A title", Location: finding.Location{Path: "a"}},
		{RuleID: "bare", Location: finding.Location{Path: "b"}},
	}
	var doc sarifDoc
	if err := json.Unmarshal(write(t, "sarif", report.New(tool, nil, fs, false), report.Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Runs[0].Results {
		got = append(got, r.Message)
	}
	if diff := cmp.Diff(got, []string{"A title", "bare"}); diff != "" {
		t.Errorf("messages (-got +want):\n%s", diff)
	}
}
