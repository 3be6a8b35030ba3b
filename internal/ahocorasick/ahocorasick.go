// Package ahocorasick finds which of a set of byte strings occur in a text,
// in one pass over it, without allocating per search.
//
// It is hand-written because the Go libraries on the module proxy each miss
// one of the two things the WAF needs: petar-dambovaliev/aho-corasick (which
// Coraza uses) allocates an iterator on every search and keeps the CRS's
// automata in about 17 MB, two thirds of the gateway's live heap with the
// CRS; BobuSumisu/aho-corasick stores 2 KB of transitions per state; others
// are not served. This automaton keeps a trie's edges in flat sorted arrays
// (about 10 bytes per state), a dense row for the root only, and failure and
// output links, so a search is a loop over the text with no allocation.
package ahocorasick

import (
	"fmt"
	"slices"
)

// Matcher is an immutable automaton over a set of patterns; it is safe for
// concurrent use.
type Matcher struct {
	fold bool // ASCII case-insensitive: patterns and text compared lowercased
	// root is the root's transition for every byte, failures included (the
	// root fails to itself), so the common case of leaving the root is one
	// lookup.
	root [256]uint32
	// Trie edges of state s are label[edge[s]:edge[s+1]] (sorted) leading to
	// to[...]. State 0 is the root.
	edge  []uint32
	label []byte
	to    []uint32
	fail  []uint32
	// depth is the length of the string that leads to a state.
	depth []uint32
	// end is the pattern ending exactly at a state (the first one given, for
	// duplicates), or -1.
	end []int32
	// dict is the next state on the failure chain where a pattern ends (0:
	// none), so every pattern ending at a position is found in one walk.
	dict []uint32
	// hit is set for a state where some pattern ends, itself or on its
	// failure chain: Contains needs nothing more.
	hit []bool

	patterns int
	minLen   int
	maxLen   int
}

// lower maps ASCII upper-case letters to lower case and every other byte to
// itself.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// New builds the automaton for patterns. With foldASCII, patterns and texts
// compare ASCII case-insensitively (other bytes exactly). An empty pattern
// is an error: it would match every text.
func New(patterns []string, foldASCII bool) (*Matcher, error) {
	m := &Matcher{fold: foldASCII, patterns: len(patterns)}
	// The trie, built with per-state maps (only during construction).
	type node struct {
		next  map[byte]uint32
		depth uint32
		end   int32
	}
	nodes := []node{{next: map[byte]uint32{}, end: -1}}
	for i, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("pattern %d is empty", i)
		}
		if m.minLen == 0 || len(p) < m.minLen {
			m.minLen = len(p)
		}
		m.maxLen = max(m.maxLen, len(p))
		s := uint32(0)
		for j := 0; j < len(p); j++ {
			b := p[j]
			if foldASCII {
				b = lower[b]
			}
			t, ok := nodes[s].next[b]
			if !ok {
				t = uint32(len(nodes))
				nodes = append(nodes, node{next: map[byte]uint32{}, depth: nodes[s].depth + 1, end: -1})
				nodes[s].next[b] = t
			}
			s = t
		}
		if nodes[s].end < 0 {
			nodes[s].end = int32(i)
		}
	}

	n := len(nodes)
	m.edge = make([]uint32, n+1)
	m.fail = make([]uint32, n)
	m.depth = make([]uint32, n)
	m.end = make([]int32, n)
	m.dict = make([]uint32, n)
	m.hit = make([]bool, n)
	edges := n - 1
	m.label = make([]byte, 0, edges)
	m.to = make([]uint32, 0, edges)
	var labels []byte
	for s := range nodes {
		m.edge[s] = uint32(len(m.label))
		labels = labels[:0]
		for b := range nodes[s].next {
			labels = append(labels, b)
		}
		slices.Sort(labels)
		for _, b := range labels {
			m.label = append(m.label, b)
			m.to = append(m.to, nodes[s].next[b])
		}
		m.depth[s] = nodes[s].depth
		m.end[s] = nodes[s].end
	}
	m.edge[n] = uint32(len(m.label))

	// Failure links in breadth-first order: a state's failure is the
	// longest proper suffix of its string that is also in the trie.
	queue := make([]uint32, 0, n)
	for i := m.edge[0]; i < m.edge[1]; i++ {
		t := m.to[i]
		m.root[m.label[i]] = t
		queue = append(queue, t)
	}
	for q := 0; q < len(queue); q++ {
		s := queue[q]
		f := m.fail[s]
		if m.end[f] >= 0 {
			m.dict[s] = f
		} else {
			m.dict[s] = m.dict[f]
		}
		m.hit[s] = m.end[s] >= 0 || m.hit[f]
		for i := m.edge[s]; i < m.edge[s+1]; i++ {
			b, t := m.label[i], m.to[i]
			m.fail[t] = m.step(f, b)
			queue = append(queue, t)
		}
	}
	return m, nil
}

// child returns the trie edge from s (not the root) on b, or 0.
func (m *Matcher) child(s uint32, b byte) uint32 {
	lo, hi := m.edge[s], m.edge[s+1]
	if hi-lo <= 8 {
		for i := lo; i < hi; i++ {
			if m.label[i] == b {
				return m.to[i]
			}
		}
		return 0
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		switch l := m.label[mid]; {
		case l == b:
			return m.to[mid]
		case l < b:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0
}

// step is the automaton's transition: the trie edge if there is one, else
// the failure chain's, ending at the root's dense row. A child is never the
// root, so 0 means "no edge".
func (m *Matcher) step(s uint32, b byte) uint32 {
	for s != 0 {
		if t := m.child(s, b); t != 0 {
			return t
		}
		s = m.fail[s]
	}
	return m.root[b]
}

// Len is the number of patterns the matcher was built from.
func (m *Matcher) Len() int { return m.patterns }

// Contains reports whether text contains any pattern.
func (m *Matcher) Contains(text string) bool {
	if len(text) < m.minLen {
		return false
	}
	s := uint32(0)
	for i := 0; i < len(text); i++ {
		b := text[i]
		if m.fold {
			b = lower[b]
		}
		s = m.step(s, b)
		if m.hit[s] {
			return true
		}
	}
	return false
}

// Match is one occurrence of a pattern: text[Start:End] equals (or, folded,
// equals ignoring ASCII case) pattern number Pattern.
type Match struct {
	Pattern    int
	Start, End int
}

// LeftmostLongest calls fn for successive non-overlapping occurrences in
// text, each the one that starts first and, among those, the longest; the
// next search begins where it ended. It stops when fn returns false. These
// are the semantics of ModSecurity's and Coraza's @pm captures.
func (m *Matcher) LeftmostLongest(text string, fn func(Match) bool) {
	from := 0
	for from+m.minLen <= len(text) {
		best, ok := m.leftmostLongestFrom(text, from)
		if !ok || !fn(best) {
			return
		}
		from = best.End
	}
}

// leftmostLongestFrom finds the leftmost-longest occurrence in text[from:].
// The automaton reports occurrences by their end; one that starts at
// position p can end no later than p+maxLen, so the scan stops once it is
// past the best start found plus maxLen.
func (m *Matcher) leftmostLongestFrom(text string, from int) (Match, bool) {
	best := Match{Pattern: -1}
	s := uint32(0)
	for i := from; i < len(text); i++ {
		if best.Pattern >= 0 && i >= best.Start+m.maxLen {
			break
		}
		b := text[i]
		if m.fold {
			b = lower[b]
		}
		s = m.step(s, b)
		if !m.hit[s] {
			continue
		}
		u := s
		if m.end[u] < 0 {
			u = m.dict[u]
		}
		for ; u != 0; u = m.dict[u] {
			c := Match{Pattern: int(m.end[u]), Start: i + 1 - int(m.depth[u]), End: i + 1}
			if best.Pattern < 0 || c.Start < best.Start || (c.Start == best.Start && c.End > best.End) {
				best = c
			}
		}
	}
	return best, best.Pattern >= 0
}
