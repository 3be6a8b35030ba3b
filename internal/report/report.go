// Package report writes findings as a table for people, JSON for programs
// and SARIF for code-scanning services.
package report

import (
	"fmt"
	"io"
	"time"

	"github.com/rampart-sec/rampart/internal/compliance"
	"github.com/rampart-sec/rampart/internal/finding"
)

// SchemaVersion is the version of the JSON report. It changes only when a
// field is removed or changes meaning; added fields keep the version.
const SchemaVersion = 1

// Formats lists the output formats the writers support.
var Formats = []string{"table", "json", "sarif"}

// Tool identifies the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts findings.
type Summary struct {
	Total      int            `json:"total"`
	BySeverity map[string]int `json:"by_severity"`
	Suppressed int            `json:"suppressed"`
	Errors     int            `json:"errors"`
}

// Report is everything one scan produced.
type Report struct {
	SchemaVersion int                `json:"schema_version"`
	Tool          Tool               `json:"tool"`
	CreatedAt     time.Time          `json:"created_at"`
	Targets       []string           `json:"targets"`
	Summary       Summary            `json:"summary"`
	Findings      []finding.Finding  `json:"findings"`
	Compliance    *compliance.Report `json:"compliance,omitempty"`
	Warnings      []string           `json:"warnings,omitempty"`
}

// New builds a report. Suppressed findings are counted; they are kept only
// when showSuppressed is set.
func New(tool Tool, targets []string, fs []finding.Finding, showSuppressed bool) *Report {
	if targets == nil {
		targets = []string{} // the schema promises arrays, never null
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: tool, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Targets: targets, Findings: make([]finding.Finding, 0, len(fs)),
		Summary: Summary{BySeverity: map[string]int{}},
	}
	for _, s := range finding.Severities() {
		r.Summary.BySeverity[s.String()] = 0
	}
	for _, f := range fs {
		if f.Controls == nil {
			f.Controls = []string{}
		}
		if f.Suppressed {
			r.Summary.Suppressed++
			if !showSuppressed {
				continue
			}
		} else {
			r.Summary.Total++
			r.Summary.BySeverity[f.Severity.String()]++
			if f.Kind == finding.KindError {
				r.Summary.Errors++
			}
		}
		r.Findings = append(r.Findings, f)
	}
	finding.Sort(r.Findings)
	return r
}

// Options tune the writers.
type Options struct {
	// Color enables ANSI colours in the table (set for terminals).
	Color bool
	// BaseDir prefixes SARIF artifact paths so they resolve from the
	// repository root (the scan root relative to the working directory).
	BaseDir string
}

// Write renders the report in the given format.
func Write(w io.Writer, format string, r *Report, opts Options) error {
	switch format {
	case "table":
		return writeTable(w, r, opts)
	case "json":
		return writeJSON(w, r)
	case "sarif":
		return writeSARIF(w, r, opts)
	}
	return fmt.Errorf("unknown format %q (want one of table, json, sarif)", format)
}
