package vulndb

import (
	"encoding/json"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/rampart-sec/rampart/internal/finding"
)

// recordSeverity rates a record: from the newest CVSS vector it carries
// (record-level first, then per affected package), else from the
// database's own rating (GHSA's database_specific.severity), else unknown.
func recordSeverity(r *record) (finding.Severity, string) {
	if s, vec, ok := cvssSeverity(r.Severity); ok {
		return s, vec
	}
	for _, a := range r.Affected {
		if s, vec, ok := cvssSeverity(a.Severity); ok {
			return s, vec
		}
	}
	if s, ok := databaseSeverity(r.DatabaseSpecific); ok {
		return s, ""
	}
	for _, a := range r.Affected {
		if s, ok := databaseSeverity(a.DatabaseSpecific); ok {
			return s, ""
		}
	}
	return finding.SeverityUnknown, ""
}

// cvssSeverity prefers a CVSS v4 vector over v3.x; vectors that do not
// parse are ignored.
func cvssSeverity(sev []osvSeverity) (finding.Severity, string, bool) {
	for _, want := range []string{"CVSS_V4", "CVSS_V3"} {
		for _, s := range sev {
			if s.Type != want {
				continue
			}
			if score, ok := cvssScore(s.Score); ok {
				return scoreSeverity(score), s.Score, true
			}
		}
	}
	return finding.SeverityUnknown, "", false
}

func cvssScore(vector string) (float64, bool) {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return c.Score(), true
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	}
	return 0, false
}

// scoreSeverity uses the CVSS qualitative rating scale; a score of 0.0
// ("None") is informational.
func scoreSeverity(score float64) finding.Severity {
	switch {
	case score >= 9:
		return finding.SeverityCritical
	case score >= 7:
		return finding.SeverityHigh
	case score >= 4:
		return finding.SeverityMedium
	case score > 0:
		return finding.SeverityLow
	}
	return finding.SeverityInfo
}

func databaseSeverity(raw json.RawMessage) (finding.Severity, bool) {
	if len(raw) == 0 {
		return finding.SeverityUnknown, false
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return finding.SeverityUnknown, false
	}
	name, ok := ds.Severity.(string)
	if !ok {
		return finding.SeverityUnknown, false
	}
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "CRITICAL":
		return finding.SeverityCritical, true
	case "HIGH", "IMPORTANT":
		return finding.SeverityHigh, true
	case "MODERATE", "MEDIUM":
		return finding.SeverityMedium, true
	case "LOW":
		return finding.SeverityLow, true
	}
	return finding.SeverityUnknown, false
}
