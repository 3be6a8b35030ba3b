package vulndb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/finding"
)

// evalRecord parses a one-package record and evaluates it for a version.
func evalRecord(t *testing.T, eco, name, affected, version string) (bool, []string, []string) {
	t.Helper()
	raw := fmt.Sprintf(`{"id":"TEST-1","modified":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":%q,"name":%q},%s}]}`,
		eco, name, affected)
	p, err := parseRecord([]byte(raw))
	if err != nil {
		t.Fatalf("parseRecord: %v", err)
	}
	if len(p.pkgs) != 1 {
		t.Fatalf("got %d packages, want 1", len(p.pkgs))
	}
	e := p.pkgs[0]
	ce, err := compileEntry(e.Ecosystem, e)
	if err != nil {
		t.Fatalf("compileEntry: %v", err)
	}
	ok, fixed, err := ce.match(newPkgVersion(e.Ecosystem, normalizeVersion(e.Ecosystem, e.Name, version)))
	if err != nil {
		t.Fatalf("match: %v", err)
	}
	return ok, fixed, p.warnings
}

func TestRangeSemantics(t *testing.T) {
	const (
		introduced0 = `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]`
		fixed       = `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.2.0"}]}]`
		lastAff     = `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"2.1.214"}]}]`
		limit       = `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"1.5.0"}]}]`
		multi       = `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.0.2"},{"introduced":"3.0.0"},{"fixed":"3.2.5"}]}]`
		unordered   = `"ranges":[{"type":"SEMVER","events":[{"fixed":"3.2.5"},{"introduced":"3.0.0"},{"fixed":"1.0.2"},{"introduced":"1.0.0"}]}]`
		twoRanges   = `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.2"}]},{"type":"SEMVER","events":[{"introduced":"2.0.0"},{"fixed":"2.0.5"}]}]`
		versions    = `"versions":["1.1.0","1.3.0"]`
		sameVersion = `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.0.0"}]}]`
		gitOnly     = `"ranges":[{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"}]}]`
	)
	tests := []struct {
		name, eco, pkg, affected, version string
		want                              bool
		wantFixed                         []string
	}{
		{"introduced 0 affects everything", "npm", "a", introduced0, "0.0.1", true, nil},
		{"introduced 0 affects huge versions", "npm", "a", introduced0, "99.0.0", true, nil},
		{"below introduced", "npm", "a", fixed, "0.9.9", false, nil},
		{"at introduced", "npm", "a", fixed, "1.0.0", true, []string{"1.2.0"}},
		{"inside", "npm", "a", fixed, "1.1.9", true, []string{"1.2.0"}},
		{"at fixed", "npm", "a", fixed, "1.2.0", false, nil},
		{"prerelease of fixed is affected", "npm", "a", fixed, "1.2.0-rc.1", true, []string{"1.2.0"}},
		{"at last_affected", "PyPI", "a", lastAff, "2.1.214", true, nil},
		{"after last_affected", "PyPI", "a", lastAff, "2.1.215", false, nil},
		{"PEP 440 post release after last_affected", "PyPI", "a", lastAff, "2.1.214.post1", false, nil},
		{"before limit", "npm", "a", limit, "1.4.0", true, nil},
		{"at limit", "npm", "a", limit, "1.5.0", false, nil},
		{"first of multiple", "npm", "a", multi, "1.0.1", true, []string{"1.0.2", "3.2.5"}},
		{"between multiple", "npm", "a", multi, "2.0.0", false, nil},
		{"second of multiple", "npm", "a", multi, "3.1.0", true, []string{"3.2.5"}},
		{"events are sorted before evaluation", "npm", "a", unordered, "3.1.0", true, []string{"3.2.5"}},
		{"events are sorted: between", "npm", "a", unordered, "2.0.0", false, nil},
		{"second of two ranges", "npm", "a", twoRanges, "2.0.1", true, []string{"2.0.5"}},
		{"outside two ranges", "npm", "a", twoRanges, "1.5.0", false, nil},
		{"versions list hit", "npm", "a", versions, "1.3.0", true, nil},
		{"versions list miss", "npm", "a", versions, "1.2.0", false, nil},
		{"introduced and fixed at one version affect nothing", "npm", "a", sameVersion, "1.0.0", false, nil},
		{"GIT ranges are skipped", "npm", "a", gitOnly, "1.0.0", false, nil},
		{"Go module v prefix", "Go", "golang.org/x/text", `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.8"}]}]`, "v0.3.7", true, []string{"0.3.8"}},
		{"Go stdlib go prefix", "Go", "stdlib", `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.21.0-0"},{"fixed":"1.21.3"}]}]`, "go1.21.2", true, []string{"1.21.3"}},
		{"Go stdlib release candidate", "Go", "stdlib", `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.21.0-0"},{"fixed":"1.21.3"}]}]`, "go1.21rc2", true, []string{"1.21.3"}},
		{"Go toolchain before introduced", "Go", "toolchain", `"ranges":[{"type":"SEMVER","events":[{"introduced":"1.21.0-0"},{"fixed":"1.21.3"}]}]`, "go1.20.9", false, nil},
		// SEMVER orders 1.0.0-final as a prerelease; Maven's ordering treats
		// "final" as the release itself.
		{"SEMVER ordering", "Maven", "g:a", `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]`, "1.0.0-final", true, []string{"1.0.0"}},
		{"ECOSYSTEM ordering", "Maven", "g:a", `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]`, "1.0.0-final", false, nil},
		{"PyPI ordering: rc before release", "PyPI", "a", `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]`, "2.0rc1", true, []string{"2.0"}},
		{"PyPI ordering: 2.0.0 equals 2.0", "PyPI", "a", `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]`, "2.0.0", false, nil},
		{"RubyGems prerelease", "RubyGems", "rack", `"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.0"}]}]`, "2.2.0.beta1", true, []string{"2.2.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotFixed, _ := evalRecord(t, tt.eco, tt.pkg, tt.affected, tt.version)
			if got != tt.want {
				t.Errorf("affected(%s %s) = %v, want %v", tt.eco, tt.version, got, tt.want)
			}
			if diff := cmp.Diff(gotFixed, tt.wantFixed); diff != "" {
				t.Errorf("fixed versions (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRangeProblems(t *testing.T) {
	tests := []struct {
		name, eco, affected string
		wantWarning         string
		version             string
		want                bool
	}{
		{"unknown range type is skipped with a warning", "",
			`"ranges":[{"type":"CALVER","events":[{"introduced":"0"}]},{"type":"SEMVER","events":[{"introduced":"2.0.0"}]}]`,
			`unknown range type "CALVER"`, "1.0.0", false},
		{"event with two kinds", "",
			`"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]`,
			"want exactly one of", "1.0.0", false},
		{"unknown event", "",
			`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"patched":"1.0.0"}]}]`,
			`unknown event "patched"`, "1.0.0", false},
		{"non-string version", "",
			`"ranges":[{"type":"SEMVER","events":[{"introduced":0}]}]`,
			"want a non-empty version string", "1.0.0", false},
		{"ecosystem without a version ordering keeps its versions list", "OSS-Fuzz",
			`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}],"versions":["1.0.0"]`,
			"unsupported ecosystem", "1.0.0", true},
		{"Hackage bound with build metadata", "Hackage",
			`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0+b"}]}]`,
			"cannot contain a build version", "0.5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eco := tt.eco
			if eco == "" {
				eco = "npm"
			}
			got, _, warnings := evalRecord(t, eco, "pkg", tt.affected, tt.version)
			if got != tt.want {
				t.Errorf("affected = %v, want %v", got, tt.want)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], tt.wantWarning) {
				t.Errorf("warnings = %q, want one containing %q", warnings, tt.wantWarning)
			}
		})
	}
}

func TestParseRecordErrors(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"not JSON", `{"id":`, "unexpected EOF"},
		{"no id", `{"modified":"2025-01-01T00:00:00Z"}`, `id ""`},
		{"id with a slash", `{"id":"../x","modified":"2025-01-01T00:00:00Z"}`, `id "../x"`},
		{"bad modified", `{"id":"X-1","modified":"yesterday"}`, "X-1: modified"},
		{"missing modified", `{"id":"X-1"}`, "X-1: modified: missing timestamp"},
		{"trailing data", `{"id":"X-1","modified":"2025-01-01T00:00:00Z"} {}`, "data after"},
		{"affected not a list", `{"id":"X-1","modified":"2025-01-01T00:00:00Z","affected":{}}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecord([]byte(tt.raw))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRecord error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		name, fields string
		want         finding.Severity
		wantCVSS     string
	}{
		{"CVSS 3.1 critical", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`,
			finding.SeverityCritical, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{"CVSS 3.0 medium", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"}]`,
			finding.SeverityMedium, "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"},
		{"CVSS 4 preferred over 3", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}]`,
			finding.SeverityMedium, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"},
		{"invalid vector falls back to database rating", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:X"}],"database_specific":{"severity":"HIGH"}`,
			finding.SeverityHigh, ""},
		{"GHSA moderate", `"database_specific":{"severity":"MODERATE"}`, finding.SeverityMedium, ""},
		{"affected-level rating", `"affected":[{"package":{"ecosystem":"npm","name":"a"},"database_specific":{"severity":"LOW"}}]`, finding.SeverityLow, ""},
		{"no rating", `"summary":"x"`, finding.SeverityUnknown, ""},
		{"CVSS 2 is not used", `"severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:C/I:C/A:C"}]`, finding.SeverityUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseRecord([]byte(`{"id":"S-1","modified":"2025-01-01T00:00:00Z",` + tt.fields + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if v.Severity != tt.want || v.CVSS != tt.wantCVSS {
				t.Errorf("got %v %q, want %v %q", v.Severity, v.CVSS, tt.want, tt.wantCVSS)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ eco, name, wantEco, wantName string }{
		{"pypi", "Django_REST.framework", "PyPI", "django-rest-framework"},
		{"PyPI", "zope..interface", "PyPI", "zope-interface"},
		{"GO", "github.com/BurntSushi/toml", "Go", "github.com/BurntSushi/toml"},
		{"NPM", "@Scope/Pkg", "npm", "@Scope/Pkg"},
		{"CRATES.IO", "serde", "crates.io", "serde"},
		{"nuget", "Newtonsoft.Json", "NuGet", "newtonsoft.json"},
		{"debian:12", "openssl", "Debian:12", "openssl"},
		{"Made-Up", "x", "Made-Up", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name, func(t *testing.T) {
			gotEco := NormalizeEcosystem(tt.eco)
			gotName := NormalizeName(gotEco, tt.name)
			if gotEco != tt.wantEco || gotName != tt.wantName {
				t.Errorf("got %s/%s, want %s/%s", gotEco, gotName, tt.wantEco, tt.wantName)
			}
		})
	}
}
