package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/internal/finding"
)

// The SARIF 2.1.0 subset Rampart writes. Hand-written structs keep the
// output small and free of the empty arrays a full object model emits; the
// tests validate it against the official schema.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	Results            []sarifResult               `json:"results"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	SemanticVer    string      `json:"semanticVersion,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name,omitempty"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      *sarifText      `json:"fullDescription,omitempty"`
	Help                 *sarifHelp      `json:"help,omitempty"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig     `json:"defaultConfiguration"`
	Properties           sarifProperties `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifProperties struct {
	Tags             []string `json:"tags,omitempty"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Precision        string   `json:"precision,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// securitySeverity is the CVSS-like score GitHub code scanning reads to
// rank security alerts.
var securitySeverity = map[finding.Severity]string{
	finding.SeverityCritical: "9.5", finding.SeverityHigh: "8.0", finding.SeverityMedium: "5.5",
	finding.SeverityLow: "3.0", finding.SeverityInfo: "0.0", finding.SeverityUnknown: "0.0",
}

func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, r *Report, opts Options) error {
	ruleIndex := map[string]int{}
	var rules []sarifRule
	var results []sarifResult
	fs := r.Findings
	for _, f := range fs {
		idx, ok := ruleIndex[f.RuleID]
		if !ok {
			idx = len(rules)
			ruleIndex[f.RuleID] = idx
			rules = append(rules, sarifRuleFor(f))
		}
		res := sarifResult{
			RuleID: f.RuleID, RuleIndex: idx, Level: sarifLevel(f.Severity),
			Message:             sarifText{Text: resultMessage(f)},
			PartialFingerprints: map[string]string{"rampart/v1": f.Fingerprint},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifactLoc{URI: sarifURI(opts.BaseDir, f.Location.Path)},
			}}},
		}
		if f.Location.StartLine > 0 {
			res.Locations[0].PhysicalLocation.Region = &sarifRegion{StartLine: f.Location.StartLine, EndLine: f.Location.EndLine}
		}
		if f.Suppressed {
			just := ""
			if f.Suppression != nil {
				just = strings.TrimSpace(f.Suppression.Source + ": " + f.Suppression.Reason)
			}
			res.Suppressions = []sarifSuppression{{Kind: sarifSuppressionKind(f), Justification: just}}
		}
		results = append(results, res)
	}
	if rules == nil {
		rules = []sarifRule{}
	}
	if results == nil {
		results = []sarifResult{}
	}
	log := sarifLog{
		Schema: sarifSchema, Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: r.Tool.Name, Version: r.Tool.Version, SemanticVer: semver(r.Tool.Version),
				InformationURI: "https://github.com/rampart-sec/rampart", Rules: rules,
			}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func sarifSuppressionKind(f finding.Finding) string {
	if f.Suppression != nil && f.Suppression.Source == "inline" {
		return "inSource"
	}
	return "external"
}

// sarifURI makes a relative URI that resolves from the repository root.
// Each segment is percent-encoded, so that spaces, non-ASCII letters, % and #
// in file names give a valid URI reference; a colon is encoded too, lest the
// first segment read as a scheme.
func sarifURI(base, p string) string {
	if base != "" && base != "." {
		p = path.Join(base, p)
	}
	segs := strings.Split(strings.TrimPrefix(p, "./"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// semver returns v when it is a semantic version (the schema checks it).
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) != 3 {
		return ""
	}
	for _, p := range parts[:2] {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return v
}

func resultMessage(f finding.Finding) string {
	msg := cmp.Or(f.Message, f.Title, f.RuleID) // code scanning rejects an empty text
	if f.Resource != nil && f.Resource.String() != "" && f.Kind != finding.KindError {
		msg = fmt.Sprintf("%s (%s)", msg, f.Resource.String())
	}
	return msg
}

func sarifRuleFor(f finding.Finding) sarifRule {
	title := f.Title
	if title == "" {
		title = f.RuleID
	}
	tags := []string{"security", string(f.Kind)}
	if f.Layer != "" {
		tags = append(tags, string(f.Layer))
	}
	tags = append(tags, f.Controls...)
	sort.Strings(tags[2:])
	rule := sarifRule{
		ID: f.RuleID, Name: ruleName(title), ShortDescription: sarifText{Text: title},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(f.Severity)},
		Properties: sarifProperties{
			Tags: tags, SecuritySeverity: securitySeverity[f.Severity], Precision: "very-high",
		},
	}
	if f.Description != "" {
		rule.FullDescription = &sarifText{Text: f.Description}
	}
	var text, md strings.Builder
	fmt.Fprintf(&text, "%s\n", cmp.Or(f.Description, title))
	fmt.Fprintf(&md, "**%s**\n\n%s\n", title, cmp.Or(f.Description, ""))
	if f.Remediation != "" {
		fmt.Fprintf(&text, "\nRemediation: %s\n", f.Remediation)
		fmt.Fprintf(&md, "\n**Remediation:** %s\n", f.Remediation)
	}
	if len(f.Controls) > 0 {
		fmt.Fprintf(&text, "\nControls: %s\n", strings.Join(f.Controls, ", "))
		fmt.Fprintf(&md, "\n**Controls:** %s\n", "`"+strings.Join(f.Controls, "`, `")+"`")
	}
	for _, ref := range f.References {
		fmt.Fprintf(&text, "\n%s", ref)
		fmt.Fprintf(&md, "\n- <%s>", ref)
	}
	rule.Help = &sarifHelp{Text: strings.TrimSpace(text.String()), Markdown: strings.TrimSpace(md.String())}
	if len(f.References) > 0 {
		rule.HelpURI = f.References[0]
	}
	return rule
}

// ruleName makes a PascalCase name from a title, as SARIF viewers expect.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
