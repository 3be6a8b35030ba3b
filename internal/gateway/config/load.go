package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/boundedio"
)

// MaxFileSize bounds a config file; anything larger is not a config.
const MaxFileSize = 4 << 20

// Load reads, decodes, validates and defaults the config file at path.
// Every problem is reported as "path:line: message", joined.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	src, err := boundedio.ReadAll(f, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config path: %w", err)
	}
	return Parse(path, filepath.Dir(abs), src)
}

var (
	reUnknown = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	reLine    = regexp.MustCompile(`^line (\d+): (.*)$`)
	reType    = regexp.MustCompile("^cannot unmarshal !!\\w+ `(.*)` into (\\S+)$")
)

// Parse decodes src (named name in messages) strictly and validates it.
// dir is where relative file paths resolve.
func Parse(name, dir string, src []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("%s", rewriteDecodeError(name, strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if root.Kind == 0 {
		return nil, fmt.Errorf("%s: empty config: want a mapping with listen and routes", name)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping at the top level", name, root.Line)
	}
	cfg := &Config{Dir: dir}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		errs := make([]error, 0, len(te.Errors))
		for _, e := range te.Errors {
			errs = append(errs, fmt.Errorf("%s", rewriteDecodeError(name, e)))
		}
		return nil, errors.Join(errs...)
	}
	cfg.Dir = dir
	v := validator{name: name, root: root.Content[0]}
	v.config(cfg)
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	applyDefaults(cfg)
	return cfg, nil
}

// rewriteDecodeError turns yaml's "line 3: field x not found in type
// config.Route" into "file:3: unknown key "x"".
func rewriteDecodeError(name, msg string) string {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: unknown key %q", name, m[1], m[2])
	}
	if m := reLine.FindStringSubmatch(msg); m != nil {
		detail := m[2]
		if t := reType.FindStringSubmatch(detail); t != nil {
			detail = fmt.Sprintf("want %s, got %q", typeName(t[2]), t[1])
		}
		return fmt.Sprintf("%s:%s: %s", name, m[1], detail)
	}
	return name + ": " + msg
}

// validator collects errors with the line of the offending value, found by
// walking the YAML node tree along the key path.
type validator struct {
	name string
	root *yaml.Node
	errs []error
}

// errorf records an error at path, a dotted key path with [i] indexes.
func (v *validator) errorf(path string, format string, args ...any) {
	line := lineOf(v.root, path)
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		v.errs = append(v.errs, fmt.Errorf("%s:%d: %s: %s", v.name, line, path, msg))
		return
	}
	v.errs = append(v.errs, fmt.Errorf("%s: %s: %s", v.name, path, msg))
}

// lineOf finds the line of the node at path; when a key is absent it
// returns the line of the nearest existing parent.
func lineOf(n *yaml.Node, path string) int {
	line := n.Line
	for _, part := range splitPath(path) {
		var next *yaml.Node
		if idx, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			if idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		} else if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					next = n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

// splitPath turns "routes[0].waf.mode" into [routes 0 waf mode].
func splitPath(path string) []string {
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	return strings.FieldsFunc(path, func(r rune) bool { return r == '.' })
}

// typeName says what a Go type means in YAML terms.
func typeName(goType string) string {
	switch {
	case goType == "time.Duration":
		return "a duration such as 500ms, 30s or 1m"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "a mapping"
}
