package policy_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/policy"
)

func TestBundledMetadata(t *testing.T) {
	eng, err := policy.Load(context.Background(), policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules := eng.Rules()
	if len(rules) < 50 {
		t.Fatalf("got %d bundled rules, want at least 50", len(rules))
	}
	idRe := regexp.MustCompile(`^(k8s|dockerfile)-[a-z0-9-]+$`)
	ctlRe := regexp.MustCompile(`^(pss-baseline|pss-restricted|cis-k8s-1\.10|nsa-k8s|cis-docker-1\.6):[a-z0-9.-]+$`)
	for _, r := range rules {
		t.Run(r.ID, func(t *testing.T) {
			if !idRe.MatchString(r.ID) {
				t.Errorf("id %q does not match %s", r.ID, idRe)
			}
			if r.Title == "" || r.Description == "" || r.Remediation == "" {
				t.Errorf("title, description and remediation are required: %+v", r)
			}
			if r.Severity == finding.SeverityUnknown {
				t.Errorf("severity is unknown")
			}
			if len(r.Kinds) == 0 {
				t.Errorf("kinds is empty")
			}
			if !r.Builtin || !strings.HasPrefix(r.Source, "builtin:policies/") {
				t.Errorf("source %q builtin %v", r.Source, r.Builtin)
			}
			for _, c := range r.Controls {
				if !ctlRe.MatchString(c) {
					t.Errorf("control %q does not match %s", c, ctlRe)
				}
			}
		})
	}
}

// TestPSSControlsComplete checks that every Pod Security Standards control
// named in the issue has a bundled rule.
func TestPSSControlsComplete(t *testing.T) {
	eng, err := policy.Load(context.Background(), policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range eng.Rules() {
		for _, c := range r.Controls {
			have[c] = true
		}
	}
	for _, c := range []string{
		"pss-baseline:host-process", "pss-baseline:host-namespaces", "pss-baseline:privileged",
		"pss-baseline:capabilities", "pss-baseline:host-path-volumes", "pss-baseline:host-ports",
		"pss-baseline:apparmor", "pss-baseline:selinux", "pss-baseline:proc-mount", "pss-baseline:seccomp",
		"pss-baseline:sysctls", "pss-restricted:volume-types", "pss-restricted:privilege-escalation",
		"pss-restricted:running-as-non-root", "pss-restricted:running-as-non-root-user",
		"pss-restricted:seccomp", "pss-restricted:capabilities",
		"cis-docker-1.6:4.1", "cis-docker-1.6:4.2", "cis-docker-1.6:4.6", "cis-docker-1.6:4.7",
		"cis-docker-1.6:4.8", "cis-docker-1.6:4.9", "cis-docker-1.6:4.10",
	} {
		if !have[c] {
			t.Errorf("no bundled rule maps to %s", c)
		}
	}
}

// TestBundledRegoTests runs every *_test.rego of the bundled policies, as
// `rampart policies test` does.
func TestBundledRegoTests(t *testing.T) {
	var out bytes.Buffer
	sum, err := policy.RunTests(context.Background(), &out, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed+sum.Errors > 0 || sum.Passed < 100 {
		t.Fatalf("rego tests: %+v\n%s", sum, out.String())
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const customPolicy = `# METADATA
# title: Team label required
# description: Every object needs a team label for on-call routing.
# custom:
#   id: acme-team-label
#   severity: low
#   layer: cluster
#   kinds: [Deployment]
#   controls: [acme:ops-1]
#   remediation: Add metadata.labels.team.
package rampart.kubernetes.acme_team_label

deny contains res if {
	not input.metadata.labels.team
	res := {"msg": sprintf("%s has no team label", [input.metadata.name]), "field": "metadata"}
}
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of the error
	}{
		{
			name:  "syntax error names file and line",
			files: map[string]string{"bad.rego": "package rampart.kubernetes.bad\n\ndeny contains x if {\n"},
			want:  "bad.rego:",
		},
		{
			name:  "missing metadata",
			files: map[string]string{"nometa.rego": "package rampart.kubernetes.nometa\n\ndeny contains \"x\" if { input.kind == \"Pod\" }\n"},
			want:  "has no METADATA annotation",
		},
		{
			name:  "bad severity",
			files: map[string]string{"sev.rego": strings.Replace(customPolicy, "severity: low", "severity: urgent", 1)},
			want:  `unknown severity "urgent"`,
		},
		{
			name:  "bad control",
			files: map[string]string{"ctl.rego": strings.Replace(customPolicy, "[acme:ops-1]", "[ops-1]", 1)},
			want:  `"ops-1" is not framework:control`,
		},
		{
			name: "duplicate id",
			files: map[string]string{
				"a.rego": customPolicy,
				"b.rego": strings.Replace(customPolicy, "acme_team_label", "acme_other", 1),
			},
			want: `rule id "acme-team-label" is already used`,
		},
		{
			name:  "id clashes with a bundled rule",
			files: map[string]string{"a.rego": strings.Replace(customPolicy, "id: acme-team-label", "id: k8s-pss-privileged", 1)},
			want:  `rule id "k8s-pss-privileged" is already used`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := policy.Load(context.Background(), policy.Options{Dirs: []string{dir}})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !errors.Is(err, policy.ErrInvalidPolicy) {
				t.Errorf("error %v does not wrap ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCustomAndConftestPolicies(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"team.rego": customPolicy,
		// Rego v0 syntax, as most Conftest repositories are written.
		"conftest/deny.rego": `package main

deny[msg] {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s must run as non-root", [input.metadata.name])
}

warn_replicas[msg] {
	input.spec.replicas < 2
	msg := "fewer than 2 replicas"
}
`,
		"conftest/v1.rego": `package main

violation contains {"msg": "no app label", "details": {}} if not input.metadata.labels.app
`,
		"other/ns.rego": `package k8s.extra

deny contains "from another namespace" if input.kind == "Deployment"
`,
	})
	ctx := context.Background()
	deployment := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web"},
		"spec":     map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{}}},
	}
	type result struct {
		ID, Msg, Field string
		Severity       finding.Severity
	}
	decide := func(t *testing.T, eng *policy.Engine, kind string) []result {
		t.Helper()
		d, err := eng.Decide(ctx, policy.Query{Kind: kind, Input: deployment})
		if err != nil {
			t.Fatal(err)
		}
		var out []result
		for _, r := range d.Results {
			if r.Rule.Builtin {
				continue
			}
			out = append(out, result{r.Rule.ID, r.Message, r.Field, r.Rule.Severity})
		}
		slices.SortFunc(out, func(a, b result) int { return strings.Compare(a.ID, b.ID) })
		return out
	}

	eng, err := policy.Load(ctx, policy.Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]result{{"acme-team-label", "web has no team label", "metadata", finding.SeverityLow}}, decide(t, eng, policy.KindKubernetes)); diff != "" {
		t.Errorf("rampart policy (-want +got):\n%s", diff)
	}
	wantConftest := []result{
		{"main.deny", "web must run as non-root", "", finding.SeverityHigh},
		{"main.violation", "no app label", "", finding.SeverityHigh},
		{"main.warn_replicas", "fewer than 2 replicas", "", finding.SeverityLow},
	}
	if diff := cmp.Diff(wantConftest, decide(t, eng, policy.KindConftest)); diff != "" {
		t.Errorf("conftest policies (-want +got):\n%s", diff)
	}

	eng, err = policy.Load(ctx, policy.Options{Dirs: []string{dir}, Namespaces: []string{"k8s.extra"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []result{{"k8s.extra.deny", "from another namespace", "", finding.SeverityHigh}}
	if diff := cmp.Diff(want, decide(t, eng, policy.KindConftest)); diff != "" {
		t.Errorf("--namespace k8s.extra (-want +got):\n%s", diff)
	}
}

func TestRunTestsUserDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"team.rego": customPolicy,
		"team_test.rego": `package rampart.kubernetes.acme_team_label_test

import data.rampart.kubernetes.acme_team_label

test_missing if count(acme_team_label.deny) == 1 with input as {"metadata": {"name": "x"}}

test_present if count(acme_team_label.deny) == 0 with input as {"metadata": {"name": "x", "labels": {"team": "a"}}}

test_wrong if count(acme_team_label.deny) == 5 with input as {"metadata": {"name": "x"}}
`,
	})
	var out bytes.Buffer
	sum, err := policy.RunTests(context.Background(), &out, []string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(policy.TestSummary{Passed: 2, Failed: 1}, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s\n%s", diff, out.String())
	}
	if !strings.Contains(out.String(), "test_wrong") {
		t.Errorf("report does not name the failing test:\n%s", out.String())
	}
}
