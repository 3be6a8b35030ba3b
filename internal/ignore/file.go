package ignore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/finding"
)

// FileName is the ignore file looked for at the scan root.
const FileName = ".rampartignore.yaml"

// Entry is one suppression in .rampartignore.yaml. Every field that is set
// must match; rule is required.
type Entry struct {
	// Rule is a rule id (or, for vulnerabilities, an advisory id or alias).
	// A trailing * matches a prefix: k8s-pss-*.
	Rule string `yaml:"rule"`
	// Path is a glob relative to the scan root; ** crosses directories.
	Path string `yaml:"path,omitempty"`
	// Resource is Kind/namespace/name or Kind/name, globs allowed per part.
	Resource string `yaml:"resource,omitempty"`
	// Package limits a vulnerability entry to one dependency: a name
	// (globs allowed) or name@version.
	Package string `yaml:"package,omitempty"`
	Reason  string `yaml:"reason,omitempty"`
	// Expires is a date, YYYY-MM-DD; from that day the entry stops working.
	Expires string `yaml:"expires,omitempty"`

	expires time.Time
	line    int
}

// File is a parsed ignore file.
type File struct {
	Path    string
	Entries []Entry
}

type fileDoc struct {
	Ignore []Entry `yaml:"ignore"`
}

// Load reads an ignore file. A missing file is no error when optional.
func Load(path string, optional bool) (*File, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && optional {
		return &File{Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ignore file: %w", err)
	}
	return Parse(path, src)
}

// Parse reads an ignore file's contents. Unknown keys are errors, so that a
// typo does not silently suppress nothing.
func Parse(path string, src []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var n yaml.Node
	_ = yaml.Unmarshal(src, &n) // decoded above; this pass only finds lines
	lines := entryLines(&n)
	f := &File{Path: path}
	for i, e := range doc.Ignore {
		if i < len(lines) {
			e.line = lines[i]
		}
		if strings.TrimSpace(e.Rule) == "" {
			return nil, fmt.Errorf("%s:%d: ignore entry needs a rule", path, e.line)
		}
		if e.Expires != "" {
			t, err := time.Parse(time.DateOnly, e.Expires)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: expires %q: want a date YYYY-MM-DD", path, e.line, e.Expires)
			}
			e.expires = t
		}
		if e.Path != "" && !doublestar.ValidatePattern(e.Path) {
			return nil, fmt.Errorf("%s:%d: path %q is not a valid glob", path, e.line, e.Path)
		}
		if e.Package != "" && !doublestar.ValidatePattern(e.Package) {
			return nil, fmt.Errorf("%s:%d: package %q: want a name (globs allowed) or name@version", path, e.line, e.Package)
		}
		if e.Resource != "" && !validResource(e.Resource) {
			return nil, fmt.Errorf("%s:%d: resource %q: want Kind/namespace/name or Kind/name, globs allowed per part", path, e.line, e.Resource)
		}
		f.Entries = append(f.Entries, e)
	}
	return f, nil
}

func entryLines(n *yaml.Node) []int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "ignore" && n.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, c := range n.Content[i+1].Content {
				lines = append(lines, c.Line)
			}
			return lines
		}
	}
	return nil
}

// Expired is an entry that would have matched but is past its date.
type Expired struct {
	Entry Entry
	File  string
}

func (e Expired) String() string {
	return fmt.Sprintf("%s:%d: ignore entry for %s expired on %s and no longer suppresses", e.File, e.Entry.line, e.Entry.Rule, e.Entry.Expires)
}

// Match finds the entry that suppresses f, if any. An expired entry that
// matches is returned as expired instead, so the caller can say so. Expiry
// goes by now's calendar date in now's time zone: an entry that expires on
// 2025-06-10 stops working when that day begins where the scan runs.
func (fl *File) Match(f *finding.Finding, now time.Time) (*Entry, *Expired) {
	if fl == nil {
		return nil, nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var expired *Expired
	for i := range fl.Entries {
		e := &fl.Entries[i]
		if !e.matches(f) {
			continue
		}
		if !e.expires.IsZero() && !today.Before(e.expires) {
			if expired == nil {
				expired = &Expired{Entry: *e, File: fl.Path}
			}
			continue
		}
		return e, nil
	}
	return nil, expired
}

func (e *Entry) matches(f *finding.Finding) bool {
	if !matchRule(e.Rule, f.RuleID) && !slices.ContainsFunc(f.Aliases, func(a string) bool { return matchRule(e.Rule, a) }) {
		return false
	}
	if e.Package != "" && !matchPackage(e.Package, f.Package) {
		return false
	}
	if e.Path != "" {
		if ok, _ := doublestar.Match(e.Path, f.Location.Path); !ok {
			return false
		}
	}
	if e.Resource != "" && !matchResource(e.Resource, f.Resource) {
		return false
	}
	return true
}

// matchPackage matches name or name@version against a finding's package.
// The version is cut at the last @ so that scoped npm names (@types/node)
// keep their leading @.
func matchPackage(pattern string, p *finding.Package) bool {
	if p == nil {
		return false
	}
	name, version := pattern, ""
	if i := strings.LastIndex(pattern, "@"); i > 0 {
		name, version = pattern[:i], pattern[i+1:]
	}
	if ok, _ := doublestar.Match(name, p.Name); !ok {
		return false
	}
	return version == "" || version == p.Version
}

func matchRule(pattern, id string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(id, p)
	}
	return pattern == id
}

// validResource reports whether a resource pattern is Kind/name or
// Kind/namespace/name, each part a valid glob and kind and name not empty
// (an empty namespace matches cluster-scoped resources).
func validResource(pattern string) bool {
	parts := strings.Split(pattern, "/")
	if len(parts) != 2 && len(parts) != 3 || parts[0] == "" || parts[len(parts)-1] == "" {
		return false
	}
	for _, p := range parts {
		if !doublestar.ValidatePattern(p) {
			return false
		}
	}
	return true
}

// matchResource matches Kind/namespace/name or Kind/name (any namespace).
func matchResource(pattern string, r *finding.Resource) bool {
	if r == nil {
		return false
	}
	parts := strings.Split(pattern, "/")
	var kind, ns, name string
	switch len(parts) {
	case 2:
		kind, ns, name = parts[0], "*", parts[1]
	case 3:
		kind, ns, name = parts[0], parts[1], parts[2]
	default:
		return false
	}
	ok := func(p, v string) bool { m, _ := doublestar.Match(p, v); return m }
	return ok(kind, r.Kind) && ok(ns, r.Namespace) && ok(name, r.Name)
}
