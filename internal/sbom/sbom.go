// Package sbom writes software bills of materials (CycloneDX 1.6 JSON and
// SPDX 2.3 JSON) from the packages a scan found, and reads the components
// of either format back for matching.
package sbom

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// Formats an SBOM can be written in.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDXJSON  = "spdx-json"
)

// Formats lists the supported formats.
var Formats = []string{FormatCycloneDX, FormatSPDXJSON}

// Component is one package of the bill of materials.
type Component struct {
	Name      string
	Version   string
	Ecosystem string
	PURL      string
	// Locations are the files (relative to the scanned root) and lines
	// where the package was found.
	Locations []Location
}

// Location is a file and line evidence of a component.
type Location struct {
	Path string
	Line int
}

// Document is what gets written: the scanned subject and its components.
type Document struct {
	// Name of the scanned subject (a directory name).
	Name       string
	Tool       string
	Version    string
	Components []Component
	// Created is the document's timestamp; zero means now.
	Created time.Time
	// Serial makes the document's id; empty means a random UUID.
	Serial string
}

// Merge collapses components with the same purl (or, without one, the same
// ecosystem, name and version) into one with every location, sorted.
func Merge(cs []Component) []Component {
	idx := map[string]int{}
	var out []Component
	for _, c := range cs {
		key := c.PURL
		if key == "" {
			key = c.Ecosystem + "\x00" + c.Name + "\x00" + c.Version
		}
		if i, ok := idx[key]; ok {
			out[i].Locations = append(out[i].Locations, c.Locations...)
			continue
		}
		idx[key] = len(out)
		c.Locations = slices.Clone(c.Locations)
		out = append(out, c)
	}
	for i := range out {
		slices.SortFunc(out[i].Locations, func(a, b Location) int {
			return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
		})
		out[i].Locations = slices.Compact(out[i].Locations)
	}
	slices.SortFunc(out, func(a, b Component) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version), strings.Compare(a.PURL, b.PURL))
	})
	return out
}

// Write writes d in the given format.
func Write(w io.Writer, format string, d Document) error {
	if d.Created.IsZero() {
		d.Created = time.Now()
	}
	if d.Serial == "" {
		d.Serial = uuid.NewString()
	}
	d.Components = Merge(d.Components)
	switch format {
	case FormatCycloneDX:
		return writeCycloneDX(w, d)
	case FormatSPDXJSON:
		return writeSPDX(w, d)
	}
	return fmt.Errorf("sbom format %q: want one of %s", format, strings.Join(Formats, ", "))
}

func writeCycloneDX(w io.Writer, d Document) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + d.Serial
	bom.Metadata = &cdx.Metadata{
		Timestamp: d.Created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{
			{Type: cdx.ComponentTypeApplication, Name: d.Tool, Version: d.Version},
		}},
		Component: &cdx.Component{BOMRef: "root", Type: cdx.ComponentTypeApplication, Name: d.Name},
	}
	comps := make([]cdx.Component, 0, len(d.Components))
	refs := make([]string, 0, len(d.Components))
	for i, c := range d.Components {
		ref := c.PURL
		if ref == "" {
			ref = fmt.Sprintf("component-%d", i+1)
		}
		cc := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL}
		if c.Ecosystem != "" {
			cc.Properties = &[]cdx.Property{{Name: "rampart:ecosystem", Value: c.Ecosystem}}
		}
		if len(c.Locations) > 0 {
			occ := make([]cdx.EvidenceOccurrence, 0, len(c.Locations))
			for _, l := range c.Locations {
				o := cdx.EvidenceOccurrence{Location: l.Path}
				if l.Line > 0 {
					o.Line = &l.Line
				}
				occ = append(occ, o)
			}
			cc.Evidence = &cdx.Evidence{Occurrences: &occ}
		}
		comps = append(comps, cc)
		refs = append(refs, ref)
	}
	bom.Components = &comps
	// The scan sees which packages a project has, not the graph between
	// them, so the root depends on every component.
	bom.Dependencies = &[]cdx.Dependency{{Ref: "root", Dependencies: &refs}}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("write cyclonedx: %w", err)
	}
	return nil
}

func writeSPDX(w io.Writer, d Document) error {
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      d.Name,
		DocumentNamespace: "https://rampart.dev/spdx/" + sanitize(d.Name) + "-" + d.Serial,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: d.Tool + "-" + d.Version}},
			Created:  d.Created.UTC().Format(time.RFC3339),
		},
	}
	root := &spdx.Package{
		PackageName: d.Name, PackageSPDXIdentifier: "root",
		PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
	}
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", "root"), Relationship: "DESCRIBES",
	})
	for i, c := range d.Components {
		id := common.ElementID(fmt.Sprintf("Package-%d", i+1))
		p := &spdx.Package{
			PackageName: c.Name, PackageSPDXIdentifier: id, PackageVersion: c.Version,
			PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
		}
		if c.PURL != "" {
			p.PackageExternalReferences = []*spdx.PackageExternalReference{{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: c.PURL,
			}}
		}
		if len(c.Locations) > 0 {
			var paths []string
			for _, l := range c.Locations {
				paths = append(paths, l.Path)
			}
			p.PackageSourceInfo = "found in " + strings.Join(slices.Compact(paths), ", ")
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", "root"), RefB: common.MakeDocElementID("", string(id)), Relationship: "DEPENDS_ON",
		})
	}
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  ")); err != nil {
		return fmt.Errorf("write spdx: %w", err)
	}
	return nil
}

// sanitize keeps a name usable inside a URI path segment.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '-'
	}, s)
	if s == "" {
		return "scan"
	}
	return s
}
