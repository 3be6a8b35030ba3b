package vulndb

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/google/osv-scalibr/semantic"
)

// bound is a range event with its version parsed once.
type bound struct {
	kind byte
	raw  string
	zero bool // introduced "0": before every version
	v    semantic.Version
}

// compiledRange is a range ready to evaluate: events sorted by version as
// the OSV evaluation algorithm requires, limits apart.
type compiledRange struct {
	semver bool
	events []bound
	limits []bound
}

// compiledEntry is one record's data for one package, parsed.
type compiledEntry struct {
	id       string
	ranges   []compiledRange
	versions []string // sorted, for binary search
}

// eventOrder breaks ties between events at the same version: an
// introduced event is applied before a fixed or last_affected one, so
// {introduced: 1.0, fixed: 1.0} affects nothing rather than 1.0 onwards.
var eventOrder = map[byte]int{evIntroduced: 0, evLastAffected: 1, evFixed: 2, evLimit: 3}

// parseVersion parses a version in a range's scheme. osv-scalibr's parsers
// are not written for hostile input, so a panic becomes an error.
func parseVersion(eco string, semver bool, s string) (v semantic.Version, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("version %q: parser panic: %v", s, r)
		}
	}()
	if semver {
		return semantic.ParseSemverVersion(s), nil
	}
	v, err = semantic.Parse(s, baseEcosystem(eco))
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", s, err)
	}
	return v, nil
}

// compare orders a against b, treating the impossible mixed-type case (and
// a comparator panic) as an error.
func compare(a, b semantic.Version) (c int, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = 0, fmt.Errorf("compare versions: panic: %v", r)
		}
	}()
	return a.Compare(b)
}

func compileRange(eco string, rd rangeData) (compiledRange, error) {
	cr := compiledRange{semver: rd.Semver}
	for _, e := range rd.Events {
		b := bound{kind: e.Kind, raw: e.Version}
		if e.Kind == evIntroduced && e.Version == "0" {
			b.zero = true
		} else {
			v, err := parseVersion(eco, rd.Semver, e.Version)
			if err != nil {
				return cr, err
			}
			b.v = v
		}
		if e.Kind == evLimit {
			cr.limits = append(cr.limits, b)
		} else {
			cr.events = append(cr.events, b)
		}
	}
	var sortErr error
	sort.SliceStable(cr.events, func(i, j int) bool {
		a, b := cr.events[i], cr.events[j]
		if a.zero || b.zero {
			return a.zero && !b.zero
		}
		c, err := compare(a.v, b.v)
		if err != nil {
			sortErr = err
			return false
		}
		if c != 0 {
			return c < 0
		}
		return eventOrder[a.kind] < eventOrder[b.kind]
	})
	return cr, sortErr
}

func compileEntry(eco string, e pkgEntry) (*compiledEntry, error) {
	ce := &compiledEntry{id: e.ID, versions: slices.Clone(e.Versions)}
	slices.Sort(ce.versions)
	var errs []error
	for _, rd := range e.Ranges {
		cr, err := compileRange(eco, rd)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.ID, err))
			continue
		}
		ce.ranges = append(ce.ranges, cr)
	}
	return ce, errors.Join(errs...)
}

// pkgVersion is a package version parsed at most once per scheme.
type pkgVersion struct {
	eco, raw       string
	ecoVer, semVer semantic.Version
	ecoErr         error
	ecoParsed      bool
	semParsed      bool
}

func newPkgVersion(eco, raw string) *pkgVersion { return &pkgVersion{eco: eco, raw: raw} }

func (p *pkgVersion) get(semver bool) (semantic.Version, error) {
	if semver {
		if !p.semParsed {
			p.semVer, _ = parseVersion(p.eco, true, p.raw)
			p.semParsed = true
		}
		if p.semVer == nil {
			return nil, fmt.Errorf("version %q: unparsable", p.raw)
		}
		return p.semVer, nil
	}
	if !p.ecoParsed {
		p.ecoVer, p.ecoErr = parseVersion(p.eco, false, p.raw)
		p.ecoParsed = true
	}
	return p.ecoVer, p.ecoErr
}

// affects evaluates one range for a version exactly as the OSV schema's
// IncludedInRanges/BeforeLimits pseudocode does, and returns the fixed
// versions of the range above v (the upgrades that leave it).
func (cr *compiledRange) affects(p *pkgVersion) (bool, []bound, error) {
	v, err := p.get(cr.semver)
	if err != nil {
		return false, nil, err
	}
	if len(cr.limits) > 0 {
		before := false
		for _, l := range cr.limits {
			c, err := compare(v, l.v)
			if err != nil {
				return false, nil, err
			}
			if c < 0 {
				before = true
				break
			}
		}
		if !before {
			return false, nil, nil
		}
	}
	vulnerable := false
	var fixed []bound
	for _, ev := range cr.events {
		c := 1
		if !ev.zero {
			if c, err = compare(v, ev.v); err != nil {
				return false, nil, err
			}
		}
		switch ev.kind {
		case evIntroduced:
			if c >= 0 {
				vulnerable = true
			}
		case evFixed:
			if c >= 0 {
				vulnerable = false
			} else {
				fixed = append(fixed, ev)
			}
		case evLastAffected:
			if c > 0 {
				vulnerable = false
			}
		}
	}
	if !vulnerable {
		return false, nil, nil
	}
	return true, fixed, nil
}

// match reports whether the entry affects the version: an exact entry of
// the versions list, or any range. Range errors (a version the ecosystem
// cannot parse) are returned beside a versions-list result.
func (ce *compiledEntry) match(p *pkgVersion) (bool, []string, error) {
	_, listed := slices.BinarySearch(ce.versions, p.raw)
	var fixed []bound
	hit := listed
	var errs []error
	for i := range ce.ranges {
		ok, fx, err := ce.ranges[i].affects(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			hit = true
			fixed = append(fixed, fx...)
		}
	}
	if !hit {
		return false, nil, errors.Join(errs...)
	}
	return true, sortFixed(fixed), nil
}

// sortFixed orders fixed versions by the ecosystem's ordering, without
// duplicates.
func sortFixed(fixed []bound) []string {
	if len(fixed) == 0 {
		return nil
	}
	sort.SliceStable(fixed, func(i, j int) bool {
		c, err := compare(fixed[i].v, fixed[j].v)
		if err != nil {
			return fixed[i].raw < fixed[j].raw
		}
		return c < 0
	})
	out := make([]string, 0, len(fixed))
	for _, f := range fixed {
		if len(out) == 0 || out[len(out)-1] != f.raw {
			out = append(out, f.raw)
		}
	}
	return out
}
