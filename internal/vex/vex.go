// Package vex reads OpenVEX documents and suppresses the vulnerability
// findings they declare not_affected or fixed.
//
// OpenVEX JSON is parsed with encoding/json: there is no well-kept Go
// library for it (openvex/go-vex pulls in a large signing stack for a
// format of a dozen fields).
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/osv-scalibr/purl"

	"github.com/rampart-sec/rampart/internal/boundedio"
	"github.com/rampart-sec/rampart/internal/finding"
)

// MaxDocumentSize bounds a VEX file: statements are small, and a document
// larger than this is not one a person wrote.
const MaxDocumentSize = 16 << 20

// Statuses that suppress a finding.
const (
	StatusNotAffected = "not_affected"
	StatusFixed       = "fixed"
)

var validStatus = map[string]bool{
	StatusNotAffected: true, StatusFixed: true, "affected": true, "under_investigation": true,
}

// Statement is one OpenVEX statement, reduced to what matching needs.
type Statement struct {
	// Vulnerability names and aliases (CVE, GHSA, GO-...).
	Vulnerability []string
	// Products are purls of the products and their subcomponents.
	Products      []purl.PackageURL
	Status        string
	Justification string
	Impact        string
}

// Document is a parsed OpenVEX document.
type Document struct {
	Path       string
	ID         string
	Statements []Statement
}

// Load reads an OpenVEX JSON file.
func Load(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vex: %w", err)
	}
	defer f.Close()
	src, err := boundedio.ReadAll(f, MaxDocumentSize)
	if err != nil {
		return nil, fmt.Errorf("read vex %s: %w", path, err)
	}
	return Parse(path, src)
}

// wire forms: OpenVEX v0.2 uses objects; v0.0.x used bare strings for the
// vulnerability and products. Both are accepted.
type wireDoc struct {
	Context    string          `json:"@context"`
	ID         string          `json:"@id"`
	Statements []wireStatement `json:"statements"`
}

type wireStatement struct {
	Vulnerability json.RawMessage   `json:"vulnerability"`
	Products      []json.RawMessage `json:"products"`
	Status        string            `json:"status"`
	Justification string            `json:"justification"`
	Impact        string            `json:"impact_statement"`
}

type wireVuln struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type wireProduct struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL string `json:"purl"`
	} `json:"identifiers"`
	Subcomponents []wireProduct `json:"subcomponents"`
}

// Parse reads an OpenVEX document. Errors name the file and the statement
// (0-based index) that is wrong.
func Parse(path string, src []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	var w wireDoc
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%s: not an OpenVEX JSON document: %w", path, err)
	}
	if !strings.HasPrefix(w.Context, "https://openvex.dev/ns") {
		return nil, fmt.Errorf("%s: @context %q: want an https://openvex.dev/ns URL", path, w.Context)
	}
	doc := &Document{Path: path, ID: w.ID}
	for i, ws := range w.Statements {
		st, err := parseStatement(ws)
		if err != nil {
			return nil, fmt.Errorf("%s: statements[%d]: %w", path, i, err)
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(ws wireStatement) (Statement, error) {
	st := Statement{Status: ws.Status, Justification: ws.Justification, Impact: ws.Impact}
	if !validStatus[ws.Status] {
		return st, fmt.Errorf("status %q: want not_affected, affected, fixed or under_investigation", ws.Status)
	}
	var name string
	var v wireVuln
	switch {
	case len(ws.Vulnerability) == 0:
		return st, errors.New("missing vulnerability")
	case json.Unmarshal(ws.Vulnerability, &name) == nil:
		st.Vulnerability = []string{name}
	case json.Unmarshal(ws.Vulnerability, &v) == nil:
		for _, s := range append([]string{v.Name, v.ID}, v.Aliases...) {
			if s != "" {
				st.Vulnerability = append(st.Vulnerability, s)
			}
		}
	default:
		return st, errors.New("vulnerability: want a string or an object with name")
	}
	if len(st.Vulnerability) == 0 {
		return st, errors.New("vulnerability has no name")
	}
	for j, raw := range ws.Products {
		var ids []string
		var s string
		var p wireProduct
		switch {
		case json.Unmarshal(raw, &s) == nil:
			ids = []string{s}
		case json.Unmarshal(raw, &p) == nil:
			ids = productIDs(p)
		default:
			return st, fmt.Errorf("products[%d]: want a string or an object with @id", j)
		}
		for _, id := range ids {
			if !strings.HasPrefix(id, "pkg:") {
				continue // an image digest or a URL: not matchable by purl
			}
			pu, err := purl.FromString(id)
			if err != nil {
				return st, fmt.Errorf("products[%d]: %w", j, err)
			}
			st.Products = append(st.Products, pu)
		}
	}
	if len(st.Products) == 0 {
		return st, errors.New("no product identified by a purl")
	}
	return st, nil
}

func productIDs(p wireProduct) []string {
	ids := []string{p.ID, p.Identifiers.PURL}
	for _, s := range p.Subcomponents {
		ids = append(ids, productIDs(s)...)
	}
	return ids
}

// Match returns the statement that suppresses f: the last statement (later
// statements supersede earlier ones) naming f's id or an alias and a
// product that is f's package. A later affected or under_investigation
// statement therefore cancels an earlier not_affected.
func (d *Document) Match(f *finding.Finding) *Statement {
	if d == nil || f.Kind != finding.KindVulnerability || f.Package == nil || f.Package.PURL == "" {
		return nil
	}
	pu, err := purl.FromString(f.Package.PURL)
	if err != nil {
		return nil
	}
	var last *Statement
	for i := range d.Statements {
		st := &d.Statements[i]
		if !namesVuln(st, f) {
			continue
		}
		for _, p := range st.Products {
			if samePackage(p, pu) {
				last = st
				break
			}
		}
	}
	if last == nil || last.Status != StatusNotAffected && last.Status != StatusFixed {
		return nil
	}
	return last
}

func namesVuln(st *Statement, f *finding.Finding) bool {
	for _, v := range st.Vulnerability {
		if strings.EqualFold(v, f.RuleID) {
			return true
		}
		for _, a := range f.Aliases {
			if strings.EqualFold(v, a) {
				return true
			}
		}
	}
	return false
}

// samePackage compares type, namespace and name, and the version when the
// VEX product gives one. Qualifiers are ignored: they describe where a
// package came from, not which one it is. Go versions are compared without
// their leading v, which some tools keep and others drop.
func samePackage(vex, pkg purl.PackageURL) bool {
	if vex.Type != pkg.Type || !strings.EqualFold(vex.Namespace, pkg.Namespace) || !strings.EqualFold(vex.Name, pkg.Name) {
		return false
	}
	if vex.Version == "" {
		return true
	}
	return strings.TrimPrefix(vex.Version, "v") == strings.TrimPrefix(pkg.Version, "v")
}

// Apply marks the findings the documents suppress.
func Apply(docs []*Document, fs []finding.Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Suppressed {
			continue
		}
		for _, d := range docs {
			st := d.Match(f)
			if st == nil {
				continue
			}
			reason := "VEX: " + st.Status
			if st.Justification != "" {
				reason += " (" + st.Justification + ")"
			}
			if st.Impact != "" {
				reason += ": " + st.Impact
			}
			f.Suppressed = true
			f.Suppression = &finding.Suppression{Source: d.Path, Reason: reason}
			break
		}
	}
}
