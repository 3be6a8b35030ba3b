package vulndb

import (
	"regexp"
	"strings"
)

// Ecosystem names as OSV spells them.
const (
	EcosystemGo        = "Go"
	EcosystemNPM       = "npm"
	EcosystemPyPI      = "PyPI"
	EcosystemMaven     = "Maven"
	EcosystemCrates    = "crates.io"
	EcosystemRubyGems  = "RubyGems"
	EcosystemPackagist = "Packagist"
	EcosystemNuGet     = "NuGet"
	EcosystemPub       = "Pub"
)

// DefaultEcosystems are downloaded when no --ecosystems are given: the
// language ecosystems the dependency scanner reads lockfiles for.
var DefaultEcosystems = []string{
	EcosystemGo, EcosystemNPM, EcosystemPyPI, EcosystemMaven, EcosystemCrates,
	EcosystemRubyGems, EcosystemPackagist, EcosystemNuGet, EcosystemPub,
}

// Go's pseudo-packages for the standard library and the go command.
const (
	GoStdlib    = "stdlib"
	GoToolchain = "toolchain"
)

// canonicalEcosystems maps a lower-case name to OSV's spelling, for the
// ecosystems OSV publishes that osv-scalibr's semantic package can order.
var canonicalEcosystems = func() map[string]string {
	m := map[string]string{}
	for _, e := range []string{
		EcosystemGo, EcosystemNPM, EcosystemPyPI, EcosystemMaven, EcosystemCrates,
		EcosystemRubyGems, EcosystemPackagist, EcosystemNuGet, EcosystemPub,
		"AlmaLinux", "Alpine", "Bitnami", "Chainguard", "ConanCenter", "CRAN", "Debian",
		"GHC", "Hackage", "Hex", "Julia", "Mageia", "MinimOS", "openEuler", "openSUSE",
		"Red Hat", "Rocky Linux", "SUSE", "SwiftURL", "Ubuntu", "Wolfi", "Bioconductor",
	} {
		m[strings.ToLower(e)] = e
	}
	// Common alternative spellings.
	m["golang"] = EcosystemGo
	m["cargo"] = EcosystemCrates
	m["gem"] = EcosystemRubyGems
	m["composer"] = EcosystemPackagist
	return m
}()

// NormalizeEcosystem returns OSV's spelling of an ecosystem name, keeping a
// release suffix ("debian:12" becomes "Debian:12"). Unknown names are
// returned unchanged.
func NormalizeEcosystem(eco string) string {
	eco = strings.TrimSpace(eco)
	base, suffix, hasSuffix := strings.Cut(eco, ":")
	c, ok := canonicalEcosystems[strings.ToLower(base)]
	if !ok {
		return eco
	}
	if hasSuffix {
		return c + ":" + suffix
	}
	return c
}

// baseEcosystem drops a release suffix: "Debian:12" → "Debian".
func baseEcosystem(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return base
}

var pep503Separators = regexp.MustCompile(`[-_.]+`)

// NormalizeName returns the form under which a package is indexed. PyPI
// names are normalised as PEP 503 says (and as OSV.dev matches them); NuGet
// and Packagist names are case-insensitive in their registries. Every
// other ecosystem's names are compared exactly.
func NormalizeName(eco, name string) string {
	name = strings.TrimSpace(name)
	switch baseEcosystem(eco) {
	case EcosystemPyPI:
		return pep503Separators.ReplaceAllString(strings.ToLower(name), "-")
	case EcosystemNuGet, EcosystemPackagist:
		return strings.ToLower(name)
	}
	return name
}

var goReleaseTag = regexp.MustCompile(`^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$`)

// normalizeVersion puts a version into the form OSV records use. Go module
// versions lose their "v"; Go toolchain versions ("go1.21rc2") become the
// semantic versions the Go vulnerability database records ("1.21.0-rc.2").
func normalizeVersion(eco, name, v string) string {
	v = strings.TrimSpace(v)
	if baseEcosystem(eco) != EcosystemGo {
		return v
	}
	if name == GoStdlib || name == GoToolchain {
		t := strings.TrimPrefix(v, "go")
		if m := goReleaseTag.FindStringSubmatch(t); m != nil {
			minor, patch := m[2], m[3]
			if minor == "" {
				minor = "0"
			}
			if patch == "" {
				patch = "0"
			}
			out := m[1] + "." + minor + "." + patch
			if m[4] != "" {
				out += "-" + m[4] + "." + m[5]
			}
			return out
		}
	}
	return strings.TrimPrefix(v, "v")
}
