// Package ignore decides which findings a user has suppressed: inline
// `rampart:ignore:<rule-id> <reason>` comments and .rampartignore.yaml files.
package ignore

import (
	"regexp"
	"strings"
)

// inlineRe finds `rampart:ignore:<rule-id> <reason>` after a comment marker.
var inlineRe = regexp.MustCompile(`rampart:ignore:([A-Za-z0-9_.\-]+)(?:[ \t]+([^\r\n]*))?`)

// Inline indexes the ignore comments of one file.
type Inline struct {
	// byLine maps a 1-based line to its directives.
	byLine map[int][]directive
	// commentOnly marks lines that hold nothing but a comment.
	commentOnly map[int]bool
}

type directive struct{ rule, reason string }

// ParseInline scans a file's lines once. It understands # comments (YAML,
// Dockerfile, HCL) and // comments, and is a no-op for files without the
// marker, which is almost every file.
func ParseInline(src []byte) *Inline {
	in := &Inline{}
	if !strings.Contains(string(src), "rampart:ignore:") {
		return in
	}
	in.byLine, in.commentOnly = map[int][]directive{}, map[int]bool{}
	for i, line := range strings.Split(string(src), "\n") {
		n := i + 1
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			in.commentOnly[n] = true
		}
		hash := strings.Index(line, "#")
		if slash := strings.Index(line, "//"); hash < 0 || (slash >= 0 && slash < hash) {
			hash = slash
		}
		if hash < 0 {
			continue
		}
		for _, m := range inlineRe.FindAllStringSubmatch(line[hash:], -1) {
			in.byLine[n] = append(in.byLine[n], directive{rule: m[1], reason: strings.TrimSpace(m[2])})
		}
	}
	return in
}

// Match reports whether a comment suppresses rule at one of the anchor lines:
// on the line itself (a trailing comment) or in the block of comment lines
// directly above it. Anchors are the finding's line and the start of the
// resource it belongs to.
func (in *Inline) Match(rule string, anchors ...int) (reason string, ok bool) {
	if in.byLine == nil {
		return "", false
	}
	for _, a := range anchors {
		if a <= 0 {
			continue
		}
		if r, ok := in.at(rule, a); ok {
			return r, true
		}
		for l := a - 1; l > 0 && in.commentOnly[l]; l-- {
			if r, ok := in.at(rule, l); ok {
				return r, true
			}
		}
	}
	return "", false
}

func (in *Inline) at(rule string, line int) (string, bool) {
	for _, d := range in.byLine[line] {
		if d.rule == rule {
			return d.reason, true
		}
	}
	return "", false
}
