// Package vulndb keeps a local copy of the OSV vulnerability database
// (https://osv.dev) and matches packages against it with each ecosystem's
// version ordering.
package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxRecordSize bounds one OSV record. The largest real records (Linux
// distribution advisories listing thousands of versions) are a few MiB.
const MaxRecordSize = 32 << 20

// ErrInvalidRecord wraps every reason a record is rejected.
var ErrInvalidRecord = errors.New("invalid OSV record")

// record is the subset of the OSV schema (https://ossf.github.io/osv-schema/)
// that Rampart reads. Unknown fields are ignored, as the schema asks.
type record struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	References       []osvReference  `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Severity         []osvSeverity   `json:"severity"`
	Ranges           []osvRange      `json:"ranges"`
	Versions         []string        `json:"versions"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string           `json:"type"`
	Events []map[string]any `json:"events"`
}

// Range types of the OSV schema.
const (
	rangeSemver    = "SEMVER"
	rangeEcosystem = "ECOSYSTEM"
	rangeGit       = "GIT"
)

// Event kinds, stored as one byte.
const (
	evIntroduced   byte = 'i'
	evFixed        byte = 'f'
	evLastAffected byte = 'l'
	evLimit        byte = 'm'
)

var eventKinds = map[string]byte{
	"introduced": evIntroduced, "fixed": evFixed, "last_affected": evLastAffected, "limit": evLimit,
}

// parsedRecord is a validated record: what the index needs per package plus
// the record-level fields a Vuln carries.
type parsedRecord struct {
	rec       record
	modified  time.Time
	published time.Time
	withdrawn bool
	// pkgs holds one entry per (ecosystem, package) the record names.
	pkgs []pkgEntry
	// warnings are problems that cost part of the record (a range of an
	// unknown type), not all of it.
	warnings []string
}

// pkgEntry is one record's affected data for one package; the index stores
// it under the package's normalised name.
type pkgEntry struct {
	Ecosystem string      `json:"-"`
	Name      string      `json:"-"`
	ID        string      `json:"id"`
	Ranges    []rangeData `json:"r,omitempty"`
	Versions  []string    `json:"v,omitempty"`
}

// rangeData is a SEMVER or ECOSYSTEM range in the schema's event order.
type rangeData struct {
	Semver bool    `json:"s,omitempty"` // SEMVER, else ECOSYSTEM
	Events []event `json:"e"`
}

type event struct {
	Kind    byte   `json:"k"`
	Version string `json:"v"`
}

// ParseRecord validates one OSV record, as found in an all.zip entry. It is
// exported for fuzzing and for tools that read single records.
func ParseRecord(data []byte) (*Vuln, error) {
	p, err := parseRecord(data)
	if err != nil {
		return nil, err
	}
	return p.vuln(data), nil
}

// loadVuln reads a record that import already validated, without
// re-checking its ranges.
func loadVuln(data []byte) (*Vuln, error) {
	p, err := decodeRecord(data)
	if err != nil {
		return nil, err
	}
	return p.vuln(data), nil
}

func parseRecord(data []byte) (*parsedRecord, error) {
	p, err := decodeRecord(data)
	if err != nil {
		return nil, err
	}
	p.index()
	return p, nil
}

// decodeRecord checks the record-level fields.
func decodeRecord(data []byte) (*parsedRecord, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidRecord, len(data), MaxRecordSize)
	}
	var p parsedRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p.rec); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalidRecord)
	}
	r := &p.rec
	if r.ID == "" || len(r.ID) > 256 || strings.ContainsAny(r.ID, "/\\\x00") {
		return nil, fmt.Errorf("%w: id %q: want a non-empty identifier without slashes", ErrInvalidRecord, r.ID)
	}
	var err error
	if p.modified, err = parseTime(r.Modified); err != nil {
		return nil, fmt.Errorf("%w: %s: modified: %w", ErrInvalidRecord, r.ID, err)
	}
	if r.Published != "" {
		if p.published, err = parseTime(r.Published); err != nil {
			return nil, fmt.Errorf("%w: %s: published: %w", ErrInvalidRecord, r.ID, err)
		}
	}
	// A withdrawn timestamp, even one in the future, means the record
	// should not be used.
	p.withdrawn = r.Withdrawn != ""
	return &p, nil
}

// index collects the record's packages with their validated ranges.
func (p *parsedRecord) index() {
	r := &p.rec
	byPkg := map[[2]string]int{}
	for ai, a := range r.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue // a GIT-only entry with no package
		}
		eco := NormalizeEcosystem(a.Package.Ecosystem)
		name := NormalizeName(eco, a.Package.Name)
		key := [2]string{eco, name}
		i, ok := byPkg[key]
		if !ok {
			i = len(p.pkgs)
			byPkg[key] = i
			p.pkgs = append(p.pkgs, pkgEntry{Ecosystem: eco, Name: name, ID: r.ID})
		}
		e := &p.pkgs[i]
		for _, v := range a.Versions {
			e.Versions = append(e.Versions, normalizeVersion(eco, name, v))
		}
		for ri, rg := range a.Ranges {
			rd, ok, err := parseRange(eco, name, rg)
			if err != nil {
				p.warnings = append(p.warnings, fmt.Sprintf("affected[%d].ranges[%d]: %v", ai, ri, err))
				continue
			}
			if ok {
				e.Ranges = append(e.Ranges, rd)
			}
		}
	}
}

// parseRange converts one range; ok is false for a GIT range, which needs
// the repository's commit graph and is skipped.
func parseRange(eco, name string, rg osvRange) (rangeData, bool, error) {
	var rd rangeData
	switch rg.Type {
	case rangeGit:
		return rd, false, nil
	case rangeSemver:
		rd.Semver = true
	case rangeEcosystem:
	default:
		return rd, false, fmt.Errorf("unknown range type %q (want SEMVER, ECOSYSTEM or GIT)", rg.Type)
	}
	if len(rg.Events) == 0 {
		return rd, false, errors.New("range without events")
	}
	for i, ev := range rg.Events {
		if len(ev) != 1 {
			return rd, false, fmt.Errorf("events[%d]: want exactly one of introduced, fixed, last_affected, limit", i)
		}
		for k, v := range ev {
			kind, ok := eventKinds[k]
			if !ok {
				return rd, false, fmt.Errorf("events[%d]: unknown event %q", i, k)
			}
			s, ok := v.(string)
			if !ok || s == "" {
				return rd, false, fmt.Errorf("events[%d].%s: want a non-empty version string", i, k)
			}
			if !(kind == evIntroduced && s == "0") {
				s = normalizeVersion(eco, name, s)
			}
			rd.Events = append(rd.Events, event{Kind: kind, Version: s})
		}
	}
	if _, err := compileRange(eco, rd); err != nil {
		return rd, false, err
	}
	return rd, true, nil
}

// parseTime reads an RFC 3339 timestamp; OSV requires UTC with a Z, but
// offsets are accepted.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing timestamp")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339: %w", err)
	}
	return t.UTC(), nil
}

// vuln builds the public view of a parsed record.
func (p *parsedRecord) vuln(raw []byte) *Vuln {
	r := &p.rec
	v := &Vuln{
		ID: r.ID, Aliases: r.Aliases, Summary: r.Summary, Details: r.Details,
		Published: p.published, Modified: p.modified, Raw: raw,
	}
	for _, ref := range r.References {
		if ref.URL != "" {
			v.References = append(v.References, ref.URL)
		}
	}
	v.Severity, v.CVSS = recordSeverity(r)
	return v
}
