package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// segment is one step of a field path: a mapping key or a sequence index.
type segment struct {
	key   string
	index int // -1 for a key
}

// parseFieldPath splits a field path written by a policy:
// spec.containers[0].securityContext.privileged, or with quoted keys for
// names that contain dots: metadata.annotations["a.b/c"].
func parseFieldPath(p string) ([]segment, error) {
	var segs []segment
	i := 0
	for i < len(p) {
		switch c := p[i]; {
		case c == '.':
			i++
		case c == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field path %q: unclosed [ at %d", p, i)
			}
			inner := p[i+1 : i+end]
			if strings.HasPrefix(inner, `"`) {
				// A quoted key may itself contain ']': find the closing quote.
				q, err := strconv.QuotedPrefix(p[i+1:])
				if err != nil {
					return nil, fmt.Errorf("field path %q: bad quoted key at %d: %w", p, i, err)
				}
				key, _ := strconv.Unquote(q)
				if i+1+len(q) >= len(p) || p[i+1+len(q)] != ']' {
					return nil, fmt.Errorf("field path %q: want ] after quoted key at %d", p, i)
				}
				segs = append(segs, segment{key: key, index: -1})
				i += len(q) + 2
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("field path %q: index %q is not a non-negative integer", p, inner)
			}
			segs = append(segs, segment{index: n})
			i += end + 1
		default:
			end := strings.IndexAny(p[i:], ".[")
			if end < 0 {
				end = len(p) - i
			}
			key := p[i : i+end]
			if j := strings.IndexByte(key, ']'); j >= 0 {
				return nil, fmt.Errorf("field path %q: ] without [ at %d", p, i+j)
			}
			segs = append(segs, segment{key: key, index: -1})
			i += end
		}
	}
	return segs, nil
}

// locate finds the lines of a field in a YAML node tree. When the path leads
// to a field that does not exist, it returns the lines of the deepest part
// that does, so a "missing setting" points at its parent. ok is false when
// not even the first step exists.
func locate(root *yaml.Node, field string) (start, end int, ok bool) {
	n := root
	for n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return 0, 0, false
	}
	start, end = n.Line, lastLine(n)
	if field == "" {
		return start, end, true
	}
	segs, err := parseFieldPath(field)
	if err != nil {
		return start, end, false
	}
	found := false
	for _, s := range segs {
		n = resolveAlias(n)
		var next, keyNode *yaml.Node
		switch {
		case s.index >= 0 && n.Kind == yaml.SequenceNode && s.index < len(n.Content):
			next = n.Content[s.index]
		case s.index < 0 && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s.key {
					keyNode, next = n.Content[i], n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			break
		}
		found = true
		start, end = next.Line, lastLine(next)
		if keyNode != nil {
			start = keyNode.Line
		}
		n = next
	}
	return start, end, found
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 16; depth++ {
		n = n.Alias
	}
	return n
}

// lastLine is the last line a node's subtree occupies (block scalars count
// their content lines). A folded scalar has lost the line breaks it folded,
// so for it this is a lower bound.
func lastLine(n *yaml.Node) int {
	last := n.Line
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		content := strings.TrimRight(n.Value, "\n")
		if content == "" {
			// Nothing but the indicator (and blank lines, which the
			// scalar does not keep): an empty block scalar at the end of a
			// file has no content line after its own.
			return n.Line
		}
		return n.Line + strings.Count(content, "\n") + 1
	}
	// Children come in document order, so the subtree ends where its last
	// child ends: following only that child keeps this O(depth), which
	// matters because every finding asks for its field's end line.
	if len(n.Content) > 0 {
		if l := lastLine(n.Content[len(n.Content)-1]); l > last {
			last = l
		}
	}
	return last
}
