package deps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/internal/finding"
)

// Query is one package version to look up.
type Query struct {
	Ecosystem, Name, Version string
}

// Advisory is one vulnerability that affects a queried version.
type Advisory struct {
	ID         string
	Aliases    []string
	Summary    string
	Details    string
	References []string
	Severity   finding.Severity
	// FixedVersions are the first fixed versions of the ranges that matched.
	FixedVersions []string
}

// Matcher looks package versions up in a vulnerability database; the
// result has one slice per query, in order. internal/vulndb's Store is
// adapted to it in the CLI, which keeps this package testable without a
// database.
type Matcher interface {
	Match(ctx context.Context, qs []Query) ([][]Advisory, error)
}

// MatchOptions tunes Findings.
type MatchOptions struct {
	// IgnoreUnfixed drops advisories without a fixed version.
	IgnoreUnfixed bool
}

// Findings matches packages against m and returns one vulnerability finding
// per advisory and package entry. Packages without a release version cannot
// be matched and are skipped.
func Findings(ctx context.Context, m Matcher, pkgs []Package, opts MatchOptions) ([]finding.Finding, error) {
	var qs []Query
	var idx []int
	for i, p := range pkgs {
		// "(devel)" is a Go main module built from a checkout: no release
		// to look up.
		if p.Version == "" || p.Version == "(devel)" || p.Ecosystem == "" {
			continue
		}
		qs = append(qs, Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version})
		idx = append(idx, i)
	}
	if len(qs) == 0 {
		return nil, nil
	}
	res, err := m.Match(ctx, qs)
	if err != nil {
		return nil, fmt.Errorf("match packages: %w", err)
	}
	if len(res) != len(qs) {
		return nil, fmt.Errorf("match packages: %d results for %d queries", len(res), len(qs))
	}
	var out []finding.Finding
	for qi, advs := range res {
		p := pkgs[idx[qi]]
		for _, a := range advs {
			if opts.IgnoreUnfixed && len(a.FixedVersions) == 0 {
				continue
			}
			out = append(out, NewFinding(p, a))
		}
	}
	return out, nil
}

// NewFinding builds the finding for one advisory on one package entry.
func NewFinding(p Package, a Advisory) finding.Finding {
	title := a.Summary
	if title == "" {
		title = a.ID
	}
	fixed := slices.Clone(a.FixedVersions)
	f := finding.Finding{
		RuleID:      a.ID,
		Kind:        finding.KindVulnerability,
		Severity:    a.Severity,
		Layer:       finding.LayerCode,
		Title:       title,
		Message:     fmt.Sprintf("%s %s (%s) is affected by %s", p.Name, p.Version, p.Ecosystem, a.ID),
		Description: a.Details,
		Remediation: remediation(p, fixed),
		Controls:    []string{},
		References:  slices.Clone(a.References),
		Aliases:     slices.Clone(a.Aliases),
		Location:    finding.Location{Path: p.Path, StartLine: p.Line, EndLine: p.Line},
		Package: &finding.Package{
			Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL,
			FixedVersions: fixed, Relationship: p.Relationship,
		},
	}
	if len(a.Summary) > 0 {
		f.Message += ": " + a.Summary
	}
	f.SetFingerprint()
	return f
}

func remediation(p Package, fixed []string) string {
	if len(fixed) == 0 {
		return "no fixed version is available; remove " + p.Name + " or mitigate the vulnerability"
	}
	return "upgrade " + p.Name + " to " + strings.Join(fixed, " or ")
}
