// Package ignore decides which findings a user has suppressed: inline
// `rampart:ignore:<rule-id> <reason>` comments and .rampartignore.yaml files.
package ignore

import (
	"regexp"
	"strings"
)

// inlineRe finds `rampart:ignore:<rule-id>` in a comment; the reason is the
// text after it, up to the next directive.
var inlineRe = regexp.MustCompile(`rampart:ignore:([A-Za-z0-9_.\-]+)`)

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
		c := commentStart(line)
		if c < 0 {
			continue
		}
		comment := line[c:]
		ms := inlineRe.FindAllStringSubmatchIndex(comment, -1)
		for j, m := range ms {
			end := len(comment)
			if j+1 < len(ms) {
				end = ms[j+1][0]
			}
			reason := strings.TrimRight(strings.TrimSpace(comment[m[1]:end]), ",;")
			in.byLine[n] = append(in.byLine[n], directive{rule: comment[m[2]:m[3]], reason: strings.TrimSpace(reason)})
		}
	}
	return in
}

// commentStart returns where the line's comment begins, or -1: the first #
// or // outside a quoted string, at the start of the line or after white
// space. YAML needs that space (a#b is a plain value) and so does a URL's //.
// A quote opens a string only where a value can begin, so that the
// apostrophe in an unquoted "it's" does not hide the comment after it.
func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote == '"':
				i++ // escaped character
			case c == '\'' && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++ // '' is a quote inside a single-quoted YAML string
			case c == quote:
				quote = 0
			}
			continue
		}
		atStart := i == 0 || line[i-1] == ' ' || line[i-1] == '\t'
		switch {
		case c == '"' || c == '\'':
			if atStart || strings.IndexByte(":=[{,(", line[i-1]) >= 0 {
				quote = c
			}
		case c == '#' && atStart:
			return i
		case c == '/' && atStart && strings.HasPrefix(line[i:], "//"):
			return i
		}
	}
	return -1
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
