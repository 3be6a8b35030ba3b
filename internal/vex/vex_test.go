package vex

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

func vuln(id string, aliases []string, purl string) finding.Finding {
	return finding.Finding{RuleID: id, Aliases: aliases, Kind: finding.KindVulnerability, Package: &finding.Package{PURL: purl}}
}

func TestApply(t *testing.T) {
	doc, err := Load("testdata/app.openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		f          finding.Finding
		wantReason string // empty: not suppressed
	}{
		{"alias and subcomponent", vuln("GHSA-35jh-r3h4-6jhm", []string{"CVE-2021-23337"}, "pkg:npm/lodash@4.17.20?source=PUBLIC_REGISTRY"),
			"VEX: not_affected (vulnerable_code_not_in_execute_path): template() is never called"},
		{"other version", vuln("GHSA-35jh-r3h4-6jhm", nil, "pkg:npm/lodash@4.17.21"), ""},
		{"go version without v", vuln("GO-2022-1059", nil, "pkg:golang/golang.org/x/text@0.3.7"), "VEX: fixed"},
		{"later statement supersedes", vuln("GHSA-xvch-5gv4-984h", nil, "pkg:npm/minimist@1.2.5"), ""},
		{"versionless product, other version", vuln("GHSA-xvch-5gv4-984h", nil, "pkg:npm/minimist@1.2.0"), "VEX: not_affected (component_not_present)"},
		{"other vulnerability", vuln("GHSA-aaaa-bbbb-cccc", nil, "pkg:npm/lodash@4.17.20"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := []finding.Finding{tc.f}
			Apply([]*Document{doc}, fs)
			got := ""
			if fs[0].Suppressed {
				got = fs[0].Suppression.Reason
			}
			if d := cmp.Diff(got, tc.wantReason); d != "" {
				t.Errorf("reason (-got +want):\n%s", d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"not json", "{", "not an OpenVEX JSON document"},
		{"context", `{"@context":"x","statements":[]}`, `@context "x"`},
		{"status", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"X"},"products":[{"@id":"pkg:npm/a"}],"status":"fine"}]}`, `statements[0]: status "fine"`},
		{"no vuln", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"products":["pkg:npm/a"],"status":"fixed"}]}`, "statements[0]: missing vulnerability"},
		{"no purl", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":"X","products":["sha256:abc"],"status":"fixed"}]}`, "no product identified by a purl"},
		{"bad purl", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":"X","products":["pkg:"],"status":"fixed"}]}`, "statements[0]: products[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("doc.json", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "doc.json") {
				t.Errorf("Parse error = %v, want one naming doc.json and containing %q", err, tc.want)
			}
		})
	}
}

func TestParseV0Strings(t *testing.T) {
	src := `{"@context":"https://openvex.dev/ns","statements":[{"vulnerability":"CVE-1","products":["pkg:pypi/flask@2.0.0"],"status":"not_affected"}]}`
	doc, err := Parse("v0.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := vuln("PYSEC-1", []string{"CVE-1"}, "pkg:pypi/flask@2.0.0")
	if doc.Match(&f) == nil {
		t.Error("v0 string forms: want a match")
	}
}

func FuzzParse(f *testing.F) {
	src, err := os.ReadFile("testdata/app.openvex.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Parse("fuzz.json", b)
		if err != nil {
			return
		}
		fs := []finding.Finding{vuln("CVE-2021-23337", nil, "pkg:npm/lodash@4.17.20")}
		Apply([]*Document{doc}, fs)
	})
}
