package ignore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/ignore"
)

const fixture = "testdata/rampartignore.yaml"

func loadFixture(t *testing.T) *ignore.File {
	t.Helper()
	f, err := ignore.Load(fixture, false)
	if err != nil {
		t.Fatalf("Load(%s): %v", fixture, err)
	}
	return f
}

func TestLoadFixture(t *testing.T) {
	got := loadFixture(t)
	want := &ignore.File{Path: fixture, Entries: []ignore.Entry{
		{Rule: "k8s-pss-*", Path: "legacy/**", Reason: "legacy charts are being rewritten"},
		{Rule: "k8s-image-latest", Path: "**/dev/*.yaml"},
		{Rule: "k8s-run-as-root", Resource: "Deployment/prod/web", Reason: "needs root until v2"},
		{Rule: "k8s-host-network", Resource: "DaemonSet/node-*"},
		{Rule: "CVE-2024-1234", Expires: "2025-06-10", Reason: "waiting for upstream"},
		{Rule: "dockerfile-no-user", Expires: "2025-06-10"},
		{Rule: "dockerfile-no-user", Path: "build/Dockerfile", Expires: "2025-07-01"},
		{Rule: "k8s-secret-env", Path: "apps/my app/*.yaml", Resource: "*/kube-*/*"},
	}}
	if diff := cmp.Diff(got, want, cmpopts.IgnoreUnexported(ignore.Entry{})); diff != "" {
		t.Errorf("Load (-got +want):\n%s", diff)
	}
}

func TestLoadMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), ignore.FileName)
	got, err := ignore.Load(missing, true)
	if err != nil {
		t.Fatalf("Load(missing, optional): %v", err)
	}
	if diff := cmp.Diff(got, &ignore.File{Path: missing}); diff != "" {
		t.Errorf("Load(missing, optional) (-got +want):\n%s", diff)
	}
	if _, err := ignore.Load(missing, false); err == nil {
		t.Error("Load(missing, required): want an error")
	}
	// A directory in the file's place is an error even when optional.
	dir := t.TempDir()
	if _, err := ignore.Load(dir, true); err == nil {
		t.Error("Load(directory, optional): want an error")
	}
}

func TestLoadUnreadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), ignore.FileName)
	if err := os.WriteFile(p, []byte("ignore:\n  - rul: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ignore.Load(p, true)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Load(bad file) = %v; want an error naming %s", err, p)
	}
}

func TestParseOK(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []ignore.Entry
	}{
		{name: "empty", src: ""},
		{name: "blank lines", src: "\n\n"},
		{name: "comments only", src: "# nothing ignored yet\n"},
		{name: "empty list", src: "ignore: []\n"},
		{name: "null list", src: "ignore:\n"},
		{name: "rule only", src: "ignore:\n  - rule: k8s-x\n", want: []ignore.Entry{{Rule: "k8s-x"}}},
		{
			name: "every field",
			src:  "ignore:\n  - rule: k8s-x\n    path: a/**/b.yaml\n    resource: Pod/ns/n\n    reason: because\n    expires: 2030-01-31\n",
			want: []ignore.Entry{{Rule: "k8s-x", Path: "a/**/b.yaml", Resource: "Pod/ns/n", Reason: "because", Expires: "2030-01-31"}},
		},
		{
			name: "cluster-scoped resource with empty namespace",
			src:  "ignore:\n  - rule: k8s-x\n    resource: ClusterRole//admin\n",
			want: []ignore.Entry{{Rule: "k8s-x", Resource: "ClusterRole//admin"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ignore.Parse("x.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(got, &ignore.File{Path: "x.yaml", Entries: tt.want}, cmpopts.IgnoreUnexported(ignore.Entry{})); diff != "" {
				t.Errorf("Parse (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings of the error
	}{
		{
			name: "unknown entry key",
			src:  "ignore:\n  - rule: k8s-x\n    rul: k8s-y\n",
			want: []string{"x.yaml", "line 3", "rul"},
		},
		{
			name: "unknown top-level key",
			src:  "# typo\nignores:\n  - rule: k8s-x\n",
			want: []string{"x.yaml", "line 2", "ignores"},
		},
		{
			name: "not yaml",
			src:  "ignore: [\n",
			want: []string{"x.yaml"},
		},
		{
			name: "list of strings",
			src:  "ignore:\n  - k8s-x\n",
			want: []string{"x.yaml", "line 2"},
		},
		{
			name: "missing rule",
			src:  "ignore:\n  - rule: k8s-x\n  - path: a.yaml\n",
			want: []string{"x.yaml:3:", "needs a rule"},
		},
		{
			name: "blank rule",
			src:  "ignore:\n  - rule: \"  \"\n",
			want: []string{"x.yaml:2:", "needs a rule"},
		},
		{
			name: "bad month",
			src:  "ignore:\n  - rule: k8s-x\n  - rule: k8s-y\n    expires: 2025-13-01\n",
			want: []string{"x.yaml:3:", `"2025-13-01"`, "YYYY-MM-DD"},
		},
		{
			name: "slashes in date",
			src:  "ignore:\n  - rule: k8s-y\n    expires: 2025/01/01\n",
			want: []string{"x.yaml:2:", `"2025/01/01"`, "YYYY-MM-DD"},
		},
		{
			name: "date with time",
			src:  "ignore:\n  - rule: k8s-y\n    expires: 2025-01-01T00:00:00Z\n",
			want: []string{"x.yaml:2:", "YYYY-MM-DD"},
		},
		{
			name: "bad path glob",
			src:  "ignore:\n  - rule: k8s-y\n    path: deploy/[a\n",
			want: []string{"x.yaml:2:", `"deploy/[a"`, "not a valid glob"},
		},
		{
			name: "resource with one part",
			src:  "ignore:\n  - rule: k8s-y\n    resource: Deployment\n",
			want: []string{"x.yaml:2:", `"Deployment"`, "Kind/namespace/name"},
		},
		{
			name: "resource with four parts",
			src:  "ignore:\n  - rule: k8s-y\n    resource: apps/Deployment/prod/web\n",
			want: []string{"x.yaml:2:", "Kind/namespace/name"},
		},
		{
			name: "resource without name",
			src:  "ignore:\n  - rule: k8s-y\n    resource: Deployment/\n",
			want: []string{"x.yaml:2:", "Kind/namespace/name"},
		},
		{
			name: "bad resource glob",
			src:  "ignore:\n  - rule: k8s-y\n    resource: Deployment/[web\n",
			want: []string{"x.yaml:2:", "Kind/namespace/name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ignore.Parse("x.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestFileMatch(t *testing.T) {
	fl := loadFixture(t)
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	res := func(kind, ns, name string) *finding.Resource {
		return &finding.Resource{Kind: kind, Namespace: ns, Name: name}
	}
	tests := []struct {
		name       string
		rule       string
		path       string
		res        *finding.Resource
		wantReason string // "" with wantMatch false: no match
		wantMatch  bool
	}{
		{name: "rule prefix and ** path", rule: "k8s-pss-privileged", path: "legacy/a/b/c.yaml", wantMatch: true, wantReason: "legacy charts are being rewritten"},
		{name: "rule prefix, path directly under", rule: "k8s-pss-host-pid", path: "legacy/c.yaml", wantMatch: true, wantReason: "legacy charts are being rewritten"},
		{name: "rule prefix, path outside", rule: "k8s-pss-privileged", path: "legacy.yaml"},
		{name: "rule prefix, path in other dir", rule: "k8s-pss-privileged", path: "apps/legacy/c.yaml"},
		{name: "other prefix", rule: "k8s-psa-privileged", path: "legacy/c.yaml"},
		{name: "prefix without dash", rule: "k8s-pss", path: "legacy/c.yaml"},
		{name: "leading ** at top", rule: "k8s-image-latest", path: "dev/web.yaml", wantMatch: true},
		{name: "leading ** deep", rule: "k8s-image-latest", path: "apps/a/b/dev/web.yaml", wantMatch: true},
		{name: "leading ** but * does not cross directories", rule: "k8s-image-latest", path: "apps/dev/sub/web.yaml"},
		{name: "leading ** other extension", rule: "k8s-image-latest", path: "apps/dev/web.yml"},
		{name: "resource Kind/ns/name", rule: "k8s-run-as-root", path: "x.yaml", res: res("Deployment", "prod", "web"), wantMatch: true, wantReason: "needs root until v2"},
		{name: "resource other namespace", rule: "k8s-run-as-root", path: "x.yaml", res: res("Deployment", "staging", "web")},
		{name: "resource other kind", rule: "k8s-run-as-root", path: "x.yaml", res: res("StatefulSet", "prod", "web")},
		{name: "resource other name", rule: "k8s-run-as-root", path: "x.yaml", res: res("Deployment", "prod", "web2")},
		{name: "resource pattern, finding without resource", rule: "k8s-run-as-root", path: "x.yaml"},
		{name: "resource Kind/name any namespace", rule: "k8s-host-network", path: "x.yaml", res: res("DaemonSet", "kube-system", "node-exporter"), wantMatch: true},
		{name: "resource Kind/name no namespace", rule: "k8s-host-network", path: "x.yaml", res: res("DaemonSet", "", "node-exporter"), wantMatch: true},
		{name: "resource Kind/name glob miss", rule: "k8s-host-network", path: "x.yaml", res: res("DaemonSet", "kube-system", "fluentd")},
		{name: "path with space and resource globs", rule: "k8s-secret-env", path: "apps/my app/a.yaml", res: res("Deployment", "kube-public", "x"), wantMatch: true},
		{name: "path with space, resource glob miss", rule: "k8s-secret-env", path: "apps/my app/a.yaml", res: res("Deployment", "default", "x")},
		{name: "exact rule is not a prefix", rule: "k8s-run-as-root-2", path: "x.yaml", res: res("Deployment", "prod", "web")},
		{name: "unlisted rule", rule: "k8s-other", path: "legacy/a.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &finding.Finding{RuleID: tt.rule, Location: finding.Location{Path: tt.path}, Resource: tt.res}
			entry, expired := fl.Match(f, day)
			if expired != nil {
				t.Errorf("Match: expired = %v, want nil", expired)
			}
			if gotMatch := entry != nil; gotMatch != tt.wantMatch {
				t.Fatalf("Match: matched = %v, want %v (entry %+v)", gotMatch, tt.wantMatch, entry)
			}
			if entry != nil && entry.Reason != tt.wantReason {
				t.Errorf("Match: reason = %q, want %q", entry.Reason, tt.wantReason)
			}
		})
	}
}

func TestFileMatchExpiry(t *testing.T) {
	fl := loadFixture(t)
	pst := time.FixedZone("UTC-8", -8*3600)
	aest := time.FixedZone("UTC+10", 10*3600)
	const (
		cveExpired    = "testdata/rampartignore.yaml:13: ignore entry for CVE-2024-1234 expired on 2025-06-10 and no longer suppresses"
		dockerExpired = "testdata/rampartignore.yaml:16: ignore entry for dockerfile-no-user expired on 2025-06-10 and no longer suppresses"
	)
	tests := []struct {
		name        string
		rule, path  string
		now         time.Time
		wantExpires string // Expires of the matching entry; "" for none
		wantExpired string // Expired.String(); "" for none
	}{
		{name: "day before", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2025, 6, 9, 23, 59, 59, 0, time.UTC), wantExpires: "2025-06-10"},
		{name: "on the day", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC), wantExpired: cveExpired},
		{name: "later on the day", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2025, 6, 10, 18, 0, 0, 0, time.UTC), wantExpired: cveExpired},
		{name: "years later", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), wantExpired: cveExpired},
		// Expiry goes by the local calendar date.
		{name: "day before, west of UTC", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2025, 6, 9, 23, 0, 0, 0, pst), wantExpires: "2025-06-10"},
		{name: "on the day, east of UTC", rule: "CVE-2024-1234", path: "go.sum", now: time.Date(2025, 6, 10, 1, 0, 0, 0, aest), wantExpired: cveExpired},
		{name: "expired entry, later one matches", rule: "dockerfile-no-user", path: "build/Dockerfile", now: time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC), wantExpires: "2025-07-01"},
		{name: "expired entry, later one does not match", rule: "dockerfile-no-user", path: "Dockerfile", now: time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC), wantExpired: dockerExpired},
		{name: "both expired: the first is reported", rule: "dockerfile-no-user", path: "build/Dockerfile", now: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), wantExpired: dockerExpired},
		{name: "expired entry that does not match is not reported", rule: "k8s-other", path: "go.sum", now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry, expired := fl.Match(&finding.Finding{RuleID: tt.rule, Location: finding.Location{Path: tt.path}}, tt.now)
			gotExpires, gotExpired := "", ""
			if entry != nil {
				gotExpires = entry.Expires
				if gotExpires == "" {
					gotExpires = "(never)"
				}
			}
			if expired != nil {
				gotExpired = expired.String()
				if expired.File != fixture {
					t.Errorf("Expired.File = %q, want %q", expired.File, fixture)
				}
			}
			if gotExpires != tt.wantExpires {
				t.Errorf("matching entry expires %q, want %q", gotExpires, tt.wantExpires)
			}
			if gotExpired != tt.wantExpired {
				t.Errorf("expired = %q, want %q", gotExpired, tt.wantExpired)
			}
		})
	}
}

func TestFileMatchNil(t *testing.T) {
	var fl *ignore.File
	entry, expired := fl.Match(&finding.Finding{RuleID: "x"}, time.Now())
	if entry != nil || expired != nil {
		t.Errorf("nil File: Match = %v, %v; want nil, nil", entry, expired)
	}
	empty, err := ignore.Parse("x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	entry, expired = empty.Match(&finding.Finding{RuleID: "x"}, time.Now())
	if entry != nil || expired != nil {
		t.Errorf("empty File: Match = %v, %v; want nil, nil", entry, expired)
	}
}

func TestFileMatchVulnerability(t *testing.T) {
	src := `ignore:
  - rule: CVE-2021-23337
    reason: not reachable
  - rule: GHSA-xvch-*
    package: minimist@1.2.5
  - rule: GO-2022-0001
    package: "@types/*"
`
	fl, err := ignore.Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	vuln := func(id string, aliases []string, name, version string) *finding.Finding {
		return &finding.Finding{RuleID: id, Aliases: aliases, Kind: finding.KindVulnerability,
			Package: &finding.Package{Name: name, Version: version, Ecosystem: "npm"}}
	}
	tests := []struct {
		name string
		f    *finding.Finding
		want bool
	}{
		{"alias matches", vuln("GHSA-35jh-r3h4-6jhm", []string{"CVE-2021-23337"}, "lodash", "4.17.20"), true},
		{"id prefix and package version", vuln("GHSA-xvch-5gv4-984h", nil, "minimist", "1.2.5"), true},
		{"other version", vuln("GHSA-xvch-5gv4-984h", nil, "minimist", "1.2.6"), false},
		{"scoped name glob", vuln("GO-2022-0001", nil, "@types/node", "1.0.0"), true},
		{"package entry needs a package", &finding.Finding{RuleID: "GO-2022-0001"}, false},
		{"unrelated", vuln("GHSA-aaaa-bbbb-cccc", []string{"CVE-2020-1"}, "lodash", "4.17.20"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := fl.Match(tc.f, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			if got := e != nil; got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
