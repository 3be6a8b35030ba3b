package compliance_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/compliance"
	"github.com/rampart-sec/rampart/internal/finding"
)

func kinds(ks ...string) func(string) bool {
	return func(k string) bool {
		for _, x := range ks {
			if x == k {
				return true
			}
		}
		return false
	}
}

func all(string) bool { return true }

// rules is a small policy set: two baseline rules, two restricted ones, a
// Dockerfile rule and a rule mapped to no framework.
var rules = []compliance.Rule{
	{ID: "k8s-privileged", Input: "kubernetes", Controls: []string{"pss-baseline:privileged"}, AppliesTo: kinds("Pod", "Deployment")},
	{ID: "k8s-host-pid", Input: "kubernetes", Controls: []string{"pss-baseline:host-namespaces"}, AppliesTo: kinds("Pod", "Deployment")},
	{ID: "k8s-host-ipc", Input: "kubernetes", Controls: []string{"pss-baseline:host-namespaces"}, AppliesTo: kinds("Pod", "Deployment")},
	{ID: "k8s-run-as-non-root", Input: "kubernetes", Controls: []string{"pss-restricted:running-as-non-root", "cis-k8s-1.9:5.2.6"}, AppliesTo: kinds("Pod", "Deployment")},
	{ID: "k8s-seccomp", Input: "kubernetes", Controls: []string{"pss-baseline:seccomp", "pss-restricted:seccomp"}, AppliesTo: kinds("Pod")},
	{ID: "k8s-rbac-wildcard", Input: "kubernetes", Controls: []string{"cis-k8s-1.9:5.1.3"}, AppliesTo: kinds("ClusterRole")},
	{ID: "dockerfile-user", Input: "dockerfile", Controls: []string{"cis-docker-1.6:4.1"}, AppliesTo: all},
	{ID: "k8s-no-controls", Input: "kubernetes", AppliesTo: all},
}

var (
	podWeb  = finding.Resource{Kind: "Pod", Namespace: "prod", Name: "web"}
	depAPI  = finding.Resource{Kind: "Deployment", Namespace: "prod", Name: "api"}
	cmCfg   = finding.Resource{Kind: "ConfigMap", Namespace: "prod", Name: "cfg"}
	roleAll = finding.Resource{Kind: "ClusterRole", Name: "all"}
)

func evaluated() []compliance.Evaluated {
	return []compliance.Evaluated{
		{Input: "kubernetes", Resource: depAPI, Path: "k8s/api.yaml", Line: 1},
		{Input: "kubernetes", Resource: podWeb, Path: "k8s/web.yaml", Line: 12},
		{Input: "kubernetes", Resource: cmCfg, Path: "k8s/web.yaml", Line: 1},
		{Input: "kubernetes", Resource: podWeb, Path: "k8s/web.yaml", Line: 12}, // duplicate
		{Input: "kubernetes", Resource: roleAll, Path: "k8s/rbac.yaml", Line: 1},
		{Input: "dockerfile", Resource: finding.Resource{Kind: "Dockerfile"}, Path: "Dockerfile", Line: 1},
	}
}

func fnd(rule, path string, res finding.Resource, suppressed bool) finding.Finding {
	return finding.Finding{RuleID: rule, Location: finding.Location{Path: path}, Resource: &res, Suppressed: suppressed}
}

func findings() []finding.Finding {
	return []finding.Finding{
		fnd("k8s-privileged", "k8s/web.yaml", podWeb, false),
		fnd("k8s-host-pid", "k8s/web.yaml", podWeb, false),
		fnd("k8s-host-ipc", "k8s/web.yaml", podWeb, false),
		fnd("k8s-seccomp", "k8s/web.yaml", podWeb, true),
		fnd("k8s-run-as-non-root", "k8s/web.yaml", podWeb, false),
		// api: host-pid suppressed, host-ipc suppressed twice and failing
		// once (two containers), run-as-non-root suppressed.
		fnd("k8s-host-pid", "k8s/api.yaml", depAPI, true),
		fnd("k8s-host-ipc", "k8s/api.yaml", depAPI, true),
		fnd("k8s-host-ipc", "k8s/api.yaml", depAPI, false),
		fnd("k8s-host-ipc", "k8s/api.yaml", depAPI, true),
		fnd("k8s-run-as-non-root", "k8s/api.yaml", depAPI, true),
		// Same resource, other file: must not count for k8s/api.yaml.
		fnd("k8s-privileged", "other/api.yaml", depAPI, false),
		fnd("dockerfile-user", "Dockerfile", finding.Resource{Kind: "Dockerfile"}, false),
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		framework string
		want      *compliance.Report
	}{
		{
			framework: "pss-baseline",
			want: &compliance.Report{
				Framework: "pss-baseline",
				Controls: []compliance.Control{
					{ID: "pss-baseline:host-namespaces", Rules: []string{"k8s-host-pid", "k8s-host-ipc"}, Passed: 0, Failed: 2},
					{ID: "pss-baseline:privileged", Rules: []string{"k8s-privileged"}, Passed: 1, Failed: 1},
					{ID: "pss-baseline:seccomp", Rules: []string{"k8s-seccomp"}, Passed: 1, Failed: 0},
				},
				Resources: []compliance.Resource{
					{Resource: depAPI, Path: "k8s/api.yaml", Line: 1, Checks: []compliance.Check{
						{Control: "pss-baseline:host-namespaces", Status: compliance.Fail, Rules: []string{"k8s-host-ipc"}},
						{Control: "pss-baseline:privileged", Status: compliance.Pass},
					}},
					{Resource: podWeb, Path: "k8s/web.yaml", Line: 12, Checks: []compliance.Check{
						{Control: "pss-baseline:host-namespaces", Status: compliance.Fail, Rules: []string{"k8s-host-pid", "k8s-host-ipc"}},
						{Control: "pss-baseline:privileged", Status: compliance.Fail, Rules: []string{"k8s-privileged"}},
						{Control: "pss-baseline:seccomp", Status: compliance.Suppressed},
					}},
				},
			},
		},
		{
			// pss-restricted includes every pss-baseline control.
			framework: "pss-restricted",
			want: &compliance.Report{
				Framework: "pss-restricted",
				Controls: []compliance.Control{
					{ID: "pss-baseline:host-namespaces", Rules: []string{"k8s-host-pid", "k8s-host-ipc"}, Passed: 0, Failed: 2},
					{ID: "pss-baseline:privileged", Rules: []string{"k8s-privileged"}, Passed: 1, Failed: 1},
					{ID: "pss-baseline:seccomp", Rules: []string{"k8s-seccomp"}, Passed: 1, Failed: 0},
					{ID: "pss-restricted:running-as-non-root", Rules: []string{"k8s-run-as-non-root"}, Passed: 1, Failed: 1},
					{ID: "pss-restricted:seccomp", Rules: []string{"k8s-seccomp"}, Passed: 1, Failed: 0},
				},
				Resources: []compliance.Resource{
					{Resource: depAPI, Path: "k8s/api.yaml", Line: 1, Checks: []compliance.Check{
						{Control: "pss-baseline:host-namespaces", Status: compliance.Fail, Rules: []string{"k8s-host-ipc"}},
						{Control: "pss-baseline:privileged", Status: compliance.Pass},
						{Control: "pss-restricted:running-as-non-root", Status: compliance.Suppressed},
					}},
					{Resource: podWeb, Path: "k8s/web.yaml", Line: 12, Checks: []compliance.Check{
						{Control: "pss-baseline:host-namespaces", Status: compliance.Fail, Rules: []string{"k8s-host-pid", "k8s-host-ipc"}},
						{Control: "pss-baseline:privileged", Status: compliance.Fail, Rules: []string{"k8s-privileged"}},
						{Control: "pss-baseline:seccomp", Status: compliance.Suppressed},
						{Control: "pss-restricted:running-as-non-root", Status: compliance.Fail, Rules: []string{"k8s-run-as-non-root"}},
						{Control: "pss-restricted:seccomp", Status: compliance.Suppressed},
					}},
				},
			},
		},
		{
			// Kinds filter: the wildcard rule checks the ClusterRole only, so
			// the Pod, Deployment and ConfigMap get no check for it.
			framework: "cis-k8s-1.9",
			want: &compliance.Report{
				Framework: "cis-k8s-1.9",
				Controls: []compliance.Control{
					{ID: "cis-k8s-1.9:5.1.3", Rules: []string{"k8s-rbac-wildcard"}, Passed: 1, Failed: 0},
					{ID: "cis-k8s-1.9:5.2.6", Rules: []string{"k8s-run-as-non-root"}, Passed: 1, Failed: 1},
				},
				Resources: []compliance.Resource{
					{Resource: depAPI, Path: "k8s/api.yaml", Line: 1, Checks: []compliance.Check{
						{Control: "cis-k8s-1.9:5.2.6", Status: compliance.Suppressed},
					}},
					{Resource: roleAll, Path: "k8s/rbac.yaml", Line: 1, Checks: []compliance.Check{
						{Control: "cis-k8s-1.9:5.1.3", Status: compliance.Pass},
					}},
					{Resource: podWeb, Path: "k8s/web.yaml", Line: 12, Checks: []compliance.Check{
						{Control: "cis-k8s-1.9:5.2.6", Status: compliance.Fail, Rules: []string{"k8s-run-as-non-root"}},
					}},
				},
			},
		},
		{
			// Inputs: Kubernetes resources get no Dockerfile checks.
			framework: "cis-docker-1.6",
			want: &compliance.Report{
				Framework: "cis-docker-1.6",
				Controls: []compliance.Control{
					{ID: "cis-docker-1.6:4.1", Rules: []string{"dockerfile-user"}, Passed: 0, Failed: 1},
				},
				Resources: []compliance.Resource{
					{Resource: finding.Resource{Kind: "Dockerfile"}, Path: "Dockerfile", Line: 1, Checks: []compliance.Check{
						{Control: "cis-docker-1.6:4.1", Status: compliance.Fail, Rules: []string{"dockerfile-user"}},
					}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.framework, func(t *testing.T) {
			got, err := compliance.Build(tt.framework, rules, evaluated(), findings())
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Build (-got +want):\n%s", diff)
			}
		})
	}
}

func TestBuildNothingEvaluated(t *testing.T) {
	got, err := compliance.Build("pss-baseline", rules, nil, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got.Resources == nil {
		t.Error("Resources is nil, want an empty slice (JSON [])")
	}
	for _, c := range got.Controls {
		if c.Passed != 0 || c.Failed != 0 {
			t.Errorf("control %s: passed %d, failed %d; want 0, 0", c.ID, c.Passed, c.Failed)
		}
	}
}

func TestBuildUnknownFramework(t *testing.T) {
	tests := []struct {
		name      string
		framework string
		rules     []compliance.Rule
		want      []string
	}{
		{
			name: "typo", framework: "pss-basline", rules: rules,
			want: []string{`"pss-basline"`, "known: cis-docker-1.6, cis-k8s-1.9, pss-baseline, pss-restricted"},
		},
		{
			name: "framework name without control", framework: "pss", rules: rules,
			want: []string{`"pss"`, "pss-baseline"},
		},
		{name: "no rules", framework: "pss-baseline", want: []string{`"pss-baseline"`, "known: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compliance.Build(tt.framework, tt.rules, evaluated(), findings())
			if err == nil {
				t.Fatalf("Build = %+v, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestFrameworks(t *testing.T) {
	got := compliance.Frameworks(rules)
	want := []string{"cis-docker-1.6", "cis-k8s-1.9", "pss-baseline", "pss-restricted"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Frameworks (-got +want):\n%s", diff)
	}
	if got := compliance.Frameworks(nil); len(got) != 0 {
		t.Errorf("Frameworks(nil) = %v, want none", got)
	}
}

// A rule without AppliesTo applies to every kind of its input.
func TestBuildNilAppliesTo(t *testing.T) {
	rs := []compliance.Rule{{ID: "r", Input: "kubernetes", Controls: []string{"fw:1"}}}
	ev := []compliance.Evaluated{{Input: "kubernetes", Resource: cmCfg, Path: "a.yaml", Line: 3}}
	got, err := compliance.Build("fw", rs, ev, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := &compliance.Report{
		Framework: "fw",
		Controls:  []compliance.Control{{ID: "fw:1", Rules: []string{"r"}, Passed: 1}},
		Resources: []compliance.Resource{{Resource: cmCfg, Path: "a.yaml", Line: 3, Checks: []compliance.Check{{Control: "fw:1", Status: compliance.Pass}}}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Build (-got +want):\n%s", diff)
	}
}

// Resources that share a path and line (several documents the scanner could
// not place) are ordered by name, whatever the input order.
func TestBuildDeterministicOrder(t *testing.T) {
	rs := []compliance.Rule{{ID: "r", Input: "kubernetes", Controls: []string{"fw:1"}, AppliesTo: all}}
	var ev []compliance.Evaluated
	for _, n := range []string{"d", "b", "e", "a", "c", "f", "h", "g"} {
		ev = append(ev, compliance.Evaluated{Input: "kubernetes", Resource: finding.Resource{Kind: "Pod", Name: n}, Path: "x.yaml"})
	}
	got, err := compliance.Build("fw", rs, ev, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var names []string
	for _, r := range got.Resources {
		names = append(names, r.Resource.Name)
	}
	if diff := cmp.Diff(names, []string{"a", "b", "c", "d", "e", "f", "g", "h"}); diff != "" {
		t.Errorf("resource order (-got +want):\n%s", diff)
	}
}
