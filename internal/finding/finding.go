// Package finding defines the one result type that every Rampart scanner,
// guard and monitor produces, and the vocabulary it uses (severity, layer,
// kind, location).
package finding

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Kind says what sort of problem a finding reports.
type Kind string

// Kinds of finding. New scanners add kinds here rather than new structs.
const (
	KindMisconfiguration Kind = "misconfiguration"
	KindVulnerability    Kind = "vulnerability"
	KindSecret           Kind = "secret"
	KindTraffic          Kind = "traffic" // a gateway decision: block, rate limit, ban
	KindError            Kind = "error"   // input that could not be parsed or rendered
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

// Package is the dependency a vulnerability finding is about.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
	// FixedVersions lists the first fixed version of every affected range
	// that matched; empty when no fix exists.
	FixedVersions []string `json:"fixed_versions,omitempty"`
	// Relationship is "direct" or "transitive" where the lockfile says so.
	Relationship string `json:"relationship,omitempty"`
	// Reachable is set only when call-graph analysis ran (Go modules with
	// source): whether a vulnerable symbol is reachable from the module.
	Reachable *bool `json:"reachable,omitempty"`
}

// Secret describes a leaked credential. Match is always redacted: only a
// short prefix of the secret survives into any output.
type Secret struct {
	Match  string `json:"match"`
	Commit string `json:"commit,omitempty"`
	Author string `json:"author,omitempty"`
	Email  string `json:"email,omitempty"`
	Date   string `json:"date,omitempty"`
}

// Traffic describes the request behind a gateway event.
type Traffic struct {
	RequestID string `json:"request_id"`
	Route     string `json:"route,omitempty"`
	// Action is what the gateway did: block, log, rate_limit, ban.
	Action   string `json:"action"`
	ClientIP string `json:"client_ip"`
	Method   string `json:"method,omitempty"`
	Host     string `json:"host,omitempty"`
	Path     string `json:"path,omitempty"`
	Status   int    `json:"status,omitempty"`
	JA4      string `json:"ja4,omitempty"`
	JA3      string `json:"ja3,omitempty"`
	// Identity is the verified client certificate identity (SAN URI or subject).
	Identity string `json:"identity,omitempty"`
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
	// Aliases are other ids of the same problem (CVE, GHSA) for vulnerabilities.
	Aliases []string `json:"aliases,omitempty"`
	Package *Package `json:"package,omitempty"`
	Secret  *Secret  `json:"secret,omitempty"`
	Traffic *Traffic `json:"traffic,omitempty"`
	// Time is when an event happened; zero for scan findings.
	Time time.Time `json:"time,omitzero"`
}

// Sink receives findings and events as they are produced: the gateway's
// JSON-lines event file now, the console's store later.
type Sink interface {
	Emit(ctx context.Context, items ...Finding) error
}

// SetFingerprint computes a stable identity from what the finding is about,
// not from its wording or line, so that it survives edits elsewhere in the
// file: rule, path, resource and field, plus the package of a
// vulnerability and the commit of a secret found in history.
func (f *Finding) SetFingerprint() {
	h := sha256.New()
	for _, s := range []string{f.RuleID, f.Location.Path, f.Resource.String(), f.Location.Field, fieldOrLine(f)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if f.Package != nil {
		h.Write([]byte(packageKey(f)))
	}
	if f.Secret != nil && f.Secret.Commit != "" {
		h.Write([]byte(f.Secret.Commit))
	}
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
}

// packageKey tells apart one advisory on two packages of one lockfile.
func packageKey(f *Finding) string {
	return f.Package.Ecosystem + "/" + f.Package.Name + "@" + f.Package.Version
}

// fieldOrLine adds the line when there is no field to tell two findings of
// one rule apart (Dockerfile instructions, parse errors).
func fieldOrLine(f *Finding) string {
	if f.Location.Field != "" && f.Kind != KindError {
		return ""
	}
	return strconv.Itoa(f.Location.StartLine)
}
