package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
)

// lineIndex finds a package entry's line in a lockfile for extractors that
// do not record one. Formats differ (JSON, TOML, YAML, XML, plain lists) but
// in all of them an entry names the package and its version on the same
// line or within a few lines after, so a text search is enough and far
// cheaper than a position-keeping parser per format.
type lineIndex struct {
	lines [][]byte
}

// entryWindow is how many lines after the name the version may appear.
const entryWindow = 6

func newLineIndex(src []byte) *lineIndex {
	if len(src) > 0 && bytes.IndexByte(src[:min(len(src), 8000)], 0) >= 0 {
		return nil // a binary: no lines
	}
	return &lineIndex{lines: bytes.Split(src, []byte("\n"))}
}

// find returns the 1-based line of the first mention of name followed by
// version, else the first mention of name, else 0.
func (x *lineIndex) find(name, version string) int {
	if x == nil || name == "" {
		return 0
	}
	n := []byte(name)
	first := 0
	for i, l := range x.lines {
		if !containsName(l, n) {
			continue
		}
		if first == 0 {
			first = i + 1
		}
		if version == "" {
			return i + 1
		}
		for j := i; j < len(x.lines) && j <= i+entryWindow; j++ {
			if bytes.Contains(x.lines[j], []byte(version)) {
				return i + 1
			}
		}
	}
	return first
}

// containsName matches name not as part of a longer name (react vs react-dom).
func containsName(line, name []byte) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], name)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(name)
		if (i == 0 || !nameByte(line[i-1])) && (end == len(line) || !nameByte(line[end])) {
			return true
		}
		off = i + 1
	}
}

func nameByte(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// relAllKey marks a file whose every entry has one relationship.
const relAllKey = "\x00all"

// relationships says which packages a file lists as direct dependencies,
// for the formats that record it; nil when the file does not say.
func relationships(p string, src []byte) map[string]string {
	base := path.Base(p)
	switch {
	case base == "go.mod":
		mf, err := modfile.ParseLax(p, src, nil)
		if err != nil {
			return nil
		}
		out := map[string]string{}
		for _, r := range mf.Require {
			out[r.Mod.Path] = "direct"
			if r.Indirect {
				out[r.Mod.Path] = "transitive"
			}
		}
		return out
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		return npmRelationships(src)
	case strings.HasSuffix(base, ".txt") && strings.Contains(base, "requirements"):
		// A requirements file lists what the project asks for.
		return map[string]string{relAllKey: "direct"}
	case base == "pnpm-lock.yaml":
		return pnpmRelationships(src)
	case base == "packages.lock.json":
		return nugetRelationships(src)
	case base == "pubspec.lock":
		return pubRelationships(src)
	case base == "Gemfile.lock":
		return gemRelationships(src)
	}
	return nil
}

// pnpmRelationships reads the root project's dependencies: top-level maps
// in lockfile v5/v6, importers["."] from v6 workspaces and v9 on.
func pnpmRelationships(src []byte) map[string]string {
	type deps struct {
		Dependencies         map[string]any `yaml:"dependencies"`
		DevDependencies      map[string]any `yaml:"devDependencies"`
		OptionalDependencies map[string]any `yaml:"optionalDependencies"`
	}
	var lock struct {
		deps      `yaml:",inline"`
		Importers map[string]deps `yaml:"importers"`
	}
	if err := yaml.Unmarshal(src, &lock); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, d := range append([]deps{lock.deps}, lock.Importers["."]) {
		for _, m := range []map[string]any{d.Dependencies, d.DevDependencies, d.OptionalDependencies} {
			for name := range m {
				out[name] = "direct"
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	out[relAllKey] = "transitive"
	return out
}

// nugetRelationships reads "type": "Direct" | "Transitive" of every target
// framework; direct in any framework wins.
func nugetRelationships(src []byte) map[string]string {
	var lock struct {
		Dependencies map[string]map[string]struct {
			Type string `json:"type"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(src, &lock); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, deps := range lock.Dependencies {
		for name, d := range deps {
			switch {
			case strings.EqualFold(d.Type, "Direct"):
				out[name] = "direct"
			case strings.EqualFold(d.Type, "Transitive") && out[name] == "":
				out[name] = "transitive"
			}
		}
	}
	return out
}

// pubRelationships reads `dependency: "direct main" | "direct dev" |
// transitive`.
func pubRelationships(src []byte) map[string]string {
	var lock struct {
		Packages map[string]struct {
			Dependency string `yaml:"dependency"`
		} `yaml:"packages"`
	}
	if err := yaml.Unmarshal(src, &lock); err != nil {
		return nil
	}
	out := map[string]string{}
	for name, p := range lock.Packages {
		switch {
		case strings.HasPrefix(p.Dependency, "direct"):
			out[name] = "direct"
		case p.Dependency == "transitive":
			out[name] = "transitive"
		}
	}
	return out
}

// gemRelationships: the DEPENDENCIES section of Gemfile.lock lists the
// gems the Gemfile asks for; every other gem is transitive.
func gemRelationships(src []byte) map[string]string {
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimRight(line, "\r")
		if line != "" && line[0] != ' ' {
			in = line == "DEPENDENCIES"
			continue
		}
		if !in {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) > 0 {
			out[strings.TrimSuffix(fields[0], "!")] = "direct"
		}
	}
	if len(out) == 0 {
		return nil
	}
	out[relAllKey] = "transitive"
	return out
}

// npmRelationships reads the root package's declared dependencies from a
// v2/v3 lockfile ("packages"."") or the v1 "requires" flags.
func npmRelationships(src []byte) map[string]string {
	var lock struct {
		Packages map[string]struct {
			Dependencies         map[string]string `json:"dependencies"`
			DevDependencies      map[string]string `json:"devDependencies"`
			OptionalDependencies map[string]string `json:"optionalDependencies"`
			PeerDependencies     map[string]string `json:"peerDependencies"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(src, &lock); err != nil {
		return nil
	}
	root, ok := lock.Packages[""]
	if !ok {
		return nil
	}
	out := map[string]string{relAllKey: "transitive"}
	for _, m := range []map[string]string{root.Dependencies, root.DevDependencies, root.OptionalDependencies, root.PeerDependencies} {
		for name := range m {
			out[name] = "direct"
		}
	}
	return out
}

// lineError gives a parse error the line the runner reports it at.
type lineError struct {
	err  error
	line int
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }
func (e *lineError) Line() int     { return e.line }

// located adds the line to a JSON syntax error, which only knows its byte
// offset; other errors are returned as they are.
func located(src []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) || se.Offset <= 0 || se.Offset > int64(len(src)) {
		return err
	}
	return &lineError{err: err, line: bytes.Count(src[:se.Offset], []byte("\n")) + 1}
}
