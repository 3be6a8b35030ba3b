package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/rampart-sec/rampart/internal/compliance"
	"github.com/rampart-sec/rampart/internal/finding"
)

// statusWidth is the widest compliance status (SUPPRESSED) plus a gap.
const statusWidth = len(compliance.Suppressed) + 2

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var severityColor = map[finding.Severity]string{
	finding.SeverityCritical: "\x1b[1;97;41m", // bold white on red
	finding.SeverityHigh:     "\x1b[1;31m",
	finding.SeverityMedium:   "\x1b[33m",
	finding.SeverityLow:      "\x1b[36m",
	finding.SeverityInfo:     "\x1b[34m",
	finding.SeverityUnknown:  "\x1b[35m",
}

// writeTable groups findings by file, most severe first within a line
// order, and ends with a summary.
func writeTable(w io.Writer, r *Report, opts Options) error {
	p := &printer{w: w, color: opts.Color}
	if r.Compliance != nil {
		p.compliance(r.Compliance)
	}
	lastPath := "\x00"
	var explained map[string]bool // rules whose fix was shown for this file
	for _, f := range r.Findings {
		if f.Location.Path != lastPath {
			lastPath = f.Location.Path
			explained = map[string]bool{}
			p.printf("\n%s\n", p.paint(ansiBold, f.Location.Path))
			p.printf("%s\n", strings.Repeat("─", min(utf8.RuneCountInString(f.Location.Path), 100)))
		}
		p.finding(f, !explained[f.RuleID])
		explained[f.RuleID] = true
	}
	p.summary(r)
	return p.err
}

type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) sev(s finding.Severity) string {
	label := fmt.Sprintf("%-8s", strings.ToUpper(s.String()))
	return p.paint(severityColor[s], label)
}

// finding prints one finding; the fix and controls, the same for every
// finding of a rule, are printed with the rule's first finding in a file.
func (p *printer) finding(f finding.Finding, explain bool) {
	line := ""
	if f.Location.StartLine > 0 {
		line = fmt.Sprintf("line %d", f.Location.StartLine)
	}
	res := ""
	if f.Resource != nil && f.Kind != finding.KindError {
		res = f.Resource.String()
	}
	sup := ""
	if f.Suppressed {
		sup = p.paint(ansiDim, " (suppressed)")
	}
	head := p.sev(f.Severity) + " " + p.paint(ansiBold, f.RuleID)
	for _, s := range []string{line, res} {
		if s != "" {
			head += "  " + s
		}
	}
	p.printf("  %s%s\n", head, sup)
	p.printf("    %s\n", f.Message)
	if f.Location.Field != "" {
		p.printf("    %s %s\n", p.paint(ansiDim, "field:"), f.Location.Field)
	}
	if f.Remediation != "" && explain {
		p.printf("    %s %s\n", p.paint(ansiDim, "fix:"), f.Remediation)
	}
	if len(f.Controls) > 0 && explain {
		p.printf("    %s %s\n", p.paint(ansiDim, "controls:"), strings.Join(f.Controls, ", "))
	}
	if f.Suppression != nil && f.Suppression.Reason != "" {
		p.printf("    %s %s (%s)\n", p.paint(ansiDim, "suppressed:"), f.Suppression.Reason, f.Suppression.Source)
	}
}

func (p *printer) summary(r *Report) {
	s := r.Summary
	parts := make([]string, 0, 6)
	for _, sev := range finding.Severities() {
		if n := s.BySeverity[sev.String()]; n > 0 {
			parts = append(parts, p.paint(severityColor[sev], fmt.Sprintf("%d %s", n, sev)))
		}
	}
	p.printf("\n")
	if s.Total == 0 {
		p.printf("No findings")
	} else {
		p.printf("%s: %s", plural(s.Total, "finding"), strings.Join(parts, ", "))
	}
	if s.Errors > 0 {
		if s.Errors == 1 {
			p.printf(" (1 file could not be scanned)")
		} else {
			p.printf(" (%d files could not be scanned)", s.Errors)
		}
	}
	if s.Suppressed > 0 {
		p.printf(", %d suppressed", s.Suppressed)
	}
	p.printf("\n")
	for _, w := range r.Warnings {
		p.printf("%s %s\n", p.paint(severityColor[finding.SeverityMedium], "warning:"), w)
	}
}

func (p *printer) compliance(c *compliance.Report) {
	p.printf("%s\n\n", p.paint(ansiBold, "Compliance: "+c.Framework))
	for _, res := range c.Resources {
		name := res.Resource.String()
		p.printf("%s  %s:%d\n", p.paint(ansiBold, name), res.Path, res.Line)
		tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
		for _, ch := range res.Checks {
			status := strings.ToUpper(string(ch.Status))
			code := ansiDim
			switch ch.Status {
			case compliance.Pass:
				code = "\x1b[32m"
			case compliance.Fail:
				code = "\x1b[1;31m"
			}
			// The status is padded by hand and kept out of the tabwriter's
			// columns: colour codes inside a cell would throw its widths off.
			cell := p.paint(code, status)
			if len(ch.Rules) > 0 {
				cell += strings.Repeat(" ", max(statusWidth-len(status), 2)) + strings.Join(ch.Rules, ", ")
			}
			fmt.Fprintf(tw, "  %s\t%s\n", ch.Control, cell)
		}
		if err := tw.Flush(); err != nil && p.err == nil {
			p.err = err
		}
	}
	p.printf("\n%s\n", p.paint(ansiBold, "Controls"))
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  CONTROL\tPASSED\tFAILED\n")
	for _, ctl := range c.Controls {
		fmt.Fprintf(tw, "  %s\t%d\t%d\n", ctl.ID, ctl.Passed, ctl.Failed)
	}
	if err := tw.Flush(); err != nil && p.err == nil {
		p.err = err
	}
}

// plural renders "1 finding", "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
