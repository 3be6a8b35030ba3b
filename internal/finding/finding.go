// Package finding defines the one result type that every Rampart scanner,
// guard and monitor produces, and the vocabulary it uses (severity, layer,
// kind, location).
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Kind says what sort of problem a finding reports.
type Kind string

// Kinds of finding. New scanners add kinds here rather than new structs.
const (
	KindMisconfiguration Kind = "misconfiguration"
	KindVulnerability    Kind = "vulnerability"
	KindSecret           Kind = "secret"
	KindError            Kind = "error" // input that could not be parsed or rendered
)

// Layer is one of the four Cs of cloud-native security.
type Layer string

// Layers.
const (
	LayerCloud     Layer = "cloud"
	LayerCluster   Layer = "cluster"
	LayerContainer Layer = "container"
	LayerCode      Layer = "code"
)

// Resource names the object a finding is about, where one applies.
type Resource struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

// String renders the resource as Kind/namespace/name, leaving out empty parts.
func (r *Resource) String() string {
	if r == nil {
		return ""
	}
	parts := make([]string, 0, 3)
	for _, p := range []string{r.Kind, r.Namespace, r.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// Location points into the scanned input. Path is relative to the scan root
// and uses forward slashes; lines are 1-based, 0 when unknown.
type Location struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	// Field is the dotted path of the offending field inside the document,
	// e.g. spec.template.spec.containers[0].securityContext.privileged.
	Field string `json:"field,omitempty"`
}

// String renders path:line.
func (l Location) String() string {
	if l.StartLine <= 0 {
		return l.Path
	}
	return l.Path + ":" + strconv.Itoa(l.StartLine)
}

// Suppression records why a finding was suppressed.
type Suppression struct {
	// Source is "inline" or the path of the ignore file.
	Source string `json:"source"`
	Reason string `json:"reason,omitempty"`
	// Expires is the entry's expiry date (YYYY-MM-DD), if it has one.
	Expires string `json:"expires,omitempty"`
}

// Finding is one problem found by any part of Rampart.
type Finding struct {
	RuleID      string       `json:"rule_id"`
	Kind        Kind         `json:"kind"`
	Severity    Severity     `json:"severity"`
	Layer       Layer        `json:"layer,omitempty"`
	Title       string       `json:"title"`
	Message     string       `json:"message"`
	Description string       `json:"description,omitempty"`
	Remediation string       `json:"remediation,omitempty"`
	Controls    []string     `json:"controls"`
	References  []string     `json:"references,omitempty"`
	Resource    *Resource    `json:"resource,omitempty"`
	Location    Location     `json:"location"`
	Fingerprint string       `json:"fingerprint"`
	Suppressed  bool         `json:"suppressed,omitempty"`
	Suppression *Suppression `json:"suppression,omitempty"`
}

// SetFingerprint computes a stable identity from what the finding is about,
// not from its wording or line, so that it survives edits elsewhere in the
// file: rule, path, resource and field.
func (f *Finding) SetFingerprint() {
	h := sha256.New()
	for _, s := range []string{f.RuleID, f.Location.Path, f.Resource.String(), f.Location.Field, fieldOrLine(f)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
}

// fieldOrLine adds the line when there is no field to tell two findings of
// one rule apart (Dockerfile instructions, parse errors).
func fieldOrLine(f *Finding) string {
	if f.Location.Field != "" && f.Kind != KindError {
		return ""
	}
	return strconv.Itoa(f.Location.StartLine)
}
