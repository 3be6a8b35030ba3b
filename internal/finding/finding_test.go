package finding_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

func TestSeverityRoundTrip(t *testing.T) {
	for _, s := range finding.Severities() {
		t.Run(s.String(), func(t *testing.T) {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got, want := string(b), `"`+s.String()+`"`; got != want {
				t.Errorf("Marshal = %s, want %s", got, want)
			}
			var gotJSON finding.Severity
			if err := json.Unmarshal(b, &gotJSON); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if gotJSON != s {
				t.Errorf("JSON round trip = %v, want %v", gotJSON, s)
			}

			txt, err := s.MarshalText()
			if err != nil {
				t.Fatalf("MarshalText: %v", err)
			}
			var gotText finding.Severity
			if err := gotText.UnmarshalText(txt); err != nil {
				t.Fatalf("UnmarshalText(%s): %v", txt, err)
			}
			if gotText != s {
				t.Errorf("text round trip = %v, want %v", gotText, s)
			}

			gotParsed, err := finding.ParseSeverity("  " + strings.ToUpper(s.String()) + " ")
			if err != nil {
				t.Fatalf("ParseSeverity: %v", err)
			}
			if gotParsed != s {
				t.Errorf("ParseSeverity(upper case) = %v, want %v", gotParsed, s)
			}
		})
	}
}

func TestSeverityAsMapKey(t *testing.T) {
	in := map[finding.Severity]int{finding.SeverityCritical: 2, finding.SeverityLow: 1}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if got, want := string(b), `{"critical":2,"low":1}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var got map[finding.Severity]int
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if diff := cmp.Diff(got, in); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
}

func TestSeverityOrderAndString(t *testing.T) {
	got := finding.Severities()
	want := []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityInfo, finding.SeverityUnknown}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Severities (-got +want):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] <= got[i] {
			t.Errorf("%v should rank above %v", got[i-1], got[i])
		}
	}
	for _, s := range []finding.Severity{-1, 6, 100} {
		if got := s.String(); got != "unknown" {
			t.Errorf("Severity(%d).String() = %q, want unknown", int(s), got)
		}
	}
	if b, err := json.Marshal(finding.Severity(42)); err != nil || string(b) != `"unknown"` {
		t.Errorf("Marshal(Severity(42)) = %s, %v; want \"unknown\", nil", b, err)
	}
}

func TestSeverityUnmarshalErrors(t *testing.T) {
	for _, in := range []string{`"severe"`, `3`, `""`, `null "x"`, `{"a":1}`} {
		t.Run(in, func(t *testing.T) {
			var s finding.Severity
			if err := json.Unmarshal([]byte(in), &s); err == nil {
				t.Errorf("Unmarshal(%s) = %v, want an error", in, s)
			}
		})
	}
	var s finding.Severity
	if err := s.UnmarshalText([]byte("bogus")); err == nil {
		t.Errorf("UnmarshalText(bogus) = %v, want an error", s)
	}
}

func TestParseSeverity(t *testing.T) {
	_, err := finding.ParseSeverity("severe")
	if err == nil {
		t.Fatal("ParseSeverity(severe): want an error")
	}
	for _, want := range []string{`"severe"`, "critical", "unknown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should mention %s", err, want)
		}
	}
}

func TestParseSeverities(t *testing.T) {
	tests := []struct {
		in      string
		want    []finding.Severity
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "critical", want: []finding.Severity{finding.SeverityCritical}},
		{in: "critical,high", want: []finding.Severity{finding.SeverityCritical, finding.SeverityHigh}},
		{in: " Low , INFO ,unknown", want: []finding.Severity{finding.SeverityLow, finding.SeverityInfo, finding.SeverityUnknown}},
		{in: "high,,medium,", want: []finding.Severity{finding.SeverityHigh, finding.SeverityMedium}},
		{in: "high,severe", wantErr: true},
		{in: "high;medium", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := finding.ParseSeverities(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseSeverities(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSeverities(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseSeverities(%q) (-got +want):\n%s", tt.in, diff)
			}
		})
	}
}

func TestResourceString(t *testing.T) {
	tests := []struct {
		name string
		r    *finding.Resource
		want string
	}{
		{"nil", nil, ""},
		{"empty", &finding.Resource{}, ""},
		{"full", &finding.Resource{Kind: "Deployment", Namespace: "prod", Name: "web"}, "Deployment/prod/web"},
		{"no namespace", &finding.Resource{Kind: "ClusterRole", Name: "admin"}, "ClusterRole/admin"},
		{"kind only", &finding.Resource{Kind: "Dockerfile"}, "Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLocationString(t *testing.T) {
	if got, want := (finding.Location{Path: "a/b.yaml", StartLine: 7}).String(), "a/b.yaml:7"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (finding.Location{Path: "a/b.yaml"}).String(), "a/b.yaml"; got != want {
		t.Errorf("String() without line = %q, want %q", got, want)
	}
}

func TestSortDeterministic(t *testing.T) {
	res := func(name string) *finding.Resource {
		return &finding.Resource{Kind: "Pod", Namespace: "default", Name: name}
	}
	// want is in sorted order; each element differs from the one before it
	// in exactly the next sort key, or in a later one.
	want := []finding.Finding{
		{RuleID: "b", Severity: finding.SeverityLow, Location: finding.Location{Path: "a.yaml"}},
		{RuleID: "a", Severity: finding.SeverityLow, Location: finding.Location{Path: "a.yaml", StartLine: 1}},
		{RuleID: "z", Severity: finding.SeverityCritical, Location: finding.Location{Path: "a.yaml", StartLine: 2}},
		{RuleID: "a", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2}},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2}},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.a"}},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m1"},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m2"},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m2", Resource: res("x")},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m2", Resource: res("y")},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m2", Resource: res("y"), Fingerprint: "1"},
		{RuleID: "b", Severity: finding.SeverityHigh, Location: finding.Location{Path: "a.yaml", StartLine: 2, Field: "spec.b"}, Message: "m2", Resource: res("y"), Fingerprint: "2"},
		{RuleID: "a", Severity: finding.SeverityInfo, Location: finding.Location{Path: "b.yaml"}},
		{RuleID: "a", Severity: finding.SeverityInfo, Location: finding.Location{Path: "b/a.yaml"}},
		{RuleID: "a", Severity: finding.SeverityInfo, Location: finding.Location{Path: "ü.yaml"}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		got := slices.Clone(want)
		rng.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		if i == 0 {
			slices.Reverse(got)
		}
		finding.Sort(got)
		if diff := cmp.Diff(got, want); diff != "" {
			t.Fatalf("shuffle %d: Sort (-got +want):\n%s", i, diff)
		}
	}
}

func TestSetFingerprint(t *testing.T) {
	base := func() finding.Finding {
		return finding.Finding{
			RuleID: "k8s-pss-privileged", Kind: finding.KindMisconfiguration, Severity: finding.SeverityHigh,
			Title: "Privileged container", Message: "container app is privileged",
			Resource: &finding.Resource{Kind: "Deployment", Namespace: "prod", Name: "web"},
			Location: finding.Location{Path: "deploy/web.yaml", StartLine: 20, EndLine: 21, Field: "spec.template.spec.containers[0].securityContext.privileged"},
		}
	}
	fp := func(mod func(*finding.Finding)) string {
		f := base()
		mod(&f)
		f.SetFingerprint()
		return f.Fingerprint
	}
	orig := fp(func(*finding.Finding) {})
	if len(orig) != 16 || strings.Trim(orig, "0123456789abcdef") != "" {
		t.Fatalf("fingerprint %q: want 16 lower-case hex digits", orig)
	}

	same := []struct {
		name string
		mod  func(*finding.Finding)
	}{
		{"again", func(*finding.Finding) {}},
		{"line moved", func(f *finding.Finding) { f.Location.StartLine, f.Location.EndLine = 55, 56 }},
		{"line unknown", func(f *finding.Finding) { f.Location.StartLine, f.Location.EndLine = 0, 0 }},
		{"wording", func(f *finding.Finding) { f.Message, f.Title = "reworded", "New title" }},
		{"severity", func(f *finding.Finding) { f.Severity = finding.SeverityCritical }},
		{"suppressed", func(f *finding.Finding) { f.Suppressed = true }},
	}
	for _, tt := range same {
		t.Run("same/"+tt.name, func(t *testing.T) {
			if got := fp(tt.mod); got != orig {
				t.Errorf("fingerprint = %s, want unchanged %s", got, orig)
			}
		})
	}

	differ := []struct {
		name string
		mod  func(*finding.Finding)
	}{
		{"rule", func(f *finding.Finding) { f.RuleID = "k8s-pss-host-pid" }},
		{"path", func(f *finding.Finding) { f.Location.Path = "deploy/api.yaml" }},
		{"resource name", func(f *finding.Finding) { f.Resource.Name = "api" }},
		{"resource namespace", func(f *finding.Finding) { f.Resource.Namespace = "staging" }},
		{"resource kind", func(f *finding.Finding) { f.Resource.Kind = "StatefulSet" }},
		{"no resource", func(f *finding.Finding) { f.Resource = nil }},
		{"field", func(f *finding.Finding) {
			f.Location.Field = "spec.template.spec.containers[1].securityContext.privileged"
		}},
		// Parts are separated, so moving text from one part into the next
		// does not collide.
		{"boundary", func(f *finding.Finding) {
			f.RuleID, f.Location.Path = "k8s-pss-privilegeddeploy/", "web.yaml"
		}},
	}
	seen := map[string]string{orig: "original"}
	for _, tt := range differ {
		t.Run("differ/"+tt.name, func(t *testing.T) {
			got := fp(tt.mod)
			if prev, dup := seen[got]; dup {
				t.Errorf("fingerprint %s equals that of %s", got, prev)
			}
			seen[got] = tt.name
		})
	}
}

// Findings without a field (Dockerfile instructions, parse errors) are told
// apart by line.
func TestSetFingerprintUsesLineWithoutField(t *testing.T) {
	tests := []struct {
		name  string
		kind  finding.Kind
		field string
	}{
		{"no field", finding.KindMisconfiguration, ""},
		{"error with field", finding.KindError, "spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := finding.Finding{RuleID: "r", Kind: tt.kind, Location: finding.Location{Path: "Dockerfile", StartLine: 3, Field: tt.field}}
			b := a
			b.Location.StartLine = 4
			a.SetFingerprint()
			b.SetFingerprint()
			if a.Fingerprint == b.Fingerprint {
				t.Errorf("lines 3 and 4 share fingerprint %s", a.Fingerprint)
			}
		})
	}
}

func TestFindingJSONOmitsEmpty(t *testing.T) {
	f := finding.Finding{RuleID: "r", Kind: finding.KindSecret, Severity: finding.SeverityLow, Controls: []string{}, Location: finding.Location{Path: "p"}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := `{"rule_id":"r","kind":"secret","severity":"low","title":"","message":"","controls":[],"location":{"path":"p"},"fingerprint":""}`
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("JSON (-got +want):\n%s", diff)
	}
}
