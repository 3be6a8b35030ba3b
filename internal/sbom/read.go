package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/purl"
	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/rampart-sec/rampart/internal/boundedio"
)

// MaxInputSize bounds an SBOM read for matching.
const MaxInputSize = 64 << 20

// maxDepth bounds how deeply nested CycloneDX components are followed.
const maxDepth = 64

// ErrUnknownFormat means the input is neither CycloneDX nor SPDX JSON.
var ErrUnknownFormat = errors.New("not a CycloneDX or SPDX JSON document")

// Problem is a component that could not be used, with where it is.
type Problem struct {
	// Ref is the component's bom-ref or SPDXID.
	Ref     string
	Message string
}

// Input is what Read found in an SBOM.
type Input struct {
	Format     string // FormatCycloneDX or FormatSPDXJSON
	Components []Component
	// Problems are components without a usable purl; the rest are kept.
	Problems []Problem
}

// Read parses a CycloneDX or SPDX JSON document and returns its components
// that carry a package URL, with their OSV ecosystem and package name
// derived from it.
func Read(r io.Reader) (*Input, error) {
	src, err := boundedio.ReadAll(r, MaxInputSize)
	if err != nil {
		return nil, fmt.Errorf("read sbom: %w", err)
	}
	var probe struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(src, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownFormat, err)
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(src)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2."):
		return readSPDX(src)
	}
	return nil, ErrUnknownFormat
}

func readCycloneDX(src []byte) (*Input, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(src), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("read cyclonedx: %w", err)
	}
	in := &Input{Format: FormatCycloneDX}
	var walk func(cs *[]cdx.Component, depth int)
	walk = func(cs *[]cdx.Component, depth int) {
		if cs == nil || depth > maxDepth {
			return
		}
		for _, c := range *cs {
			in.add(c.BOMRef, c.Name, c.PackageURL)
			walk(c.Components, depth+1)
		}
	}
	walk(bom.Components, 0)
	return in, nil
}

func readSPDX(src []byte) (*Input, error) {
	doc, err := spdxjson.Read(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("read spdx: %w", err)
	}
	in := &Input{Format: FormatSPDXJSON}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		ref := string(p.PackageSPDXIdentifier)
		found := false
		for _, er := range p.PackageExternalReferences {
			if er == nil {
				continue
			}
			// SPDX 2.3 writes PACKAGE-MANAGER, 2.2 PACKAGE_MANAGER.
			cat := strings.ReplaceAll(strings.ToUpper(er.Category), "_", "-")
			if cat == "PACKAGE-MANAGER" && er.RefType == "purl" {
				in.add(ref, p.PackageName, er.Locator)
				found = true
			}
		}
		if !found {
			in.add(ref, p.PackageName, "")
		}
	}
	return in, nil
}

// add keeps a component with a usable purl; others become problems (an
// application or file entry without a purl is normal and not reported).
func (in *Input) add(ref, name, p string) {
	if p == "" {
		return
	}
	c, err := FromPURL(p)
	if err != nil {
		in.Problems = append(in.Problems, Problem{Ref: ref, Message: err.Error()})
		return
	}
	if c.Version == "" {
		in.Problems = append(in.Problems, Problem{Ref: ref, Message: fmt.Sprintf("%s (%s): purl has no version, cannot be matched", name, p)})
		return
	}
	in.Components = append(in.Components, c)
}

// FromPURL turns a package URL into a component with the OSV ecosystem
// and the package name as that ecosystem spells it.
func FromPURL(s string) (Component, error) {
	p, err := purl.FromString(s)
	if err != nil {
		return Component{}, err
	}
	eco := (&extractor.Package{PURLType: p.Type}).Ecosystem().String()
	if eco == "" {
		return Component{}, fmt.Errorf("%s: purl type %q has no OSV ecosystem", s, p.Type)
	}
	// The inverse of osv-scalibr's per-type purl construction: a Maven
	// group joins with ":", every other namespace with "/".
	name := p.Name
	if p.Namespace != "" {
		sep := "/"
		if p.Type == purl.TypeMaven {
			sep = ":"
		}
		name = p.Namespace + sep + p.Name
	}
	version := p.Version
	if p.Type == purl.TypeGolang {
		version = strings.TrimPrefix(version, "v") // OSV Go versions have no v
	}
	return Component{Name: name, Version: version, Ecosystem: eco, PURL: s}, nil
}
