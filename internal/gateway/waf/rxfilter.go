package waf

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rampart-sec/rampart/internal/ahocorasick"
)

// rxFilter is a sound literal prefilter for one regular expression: every
// string the expression matches contains at least one of the literals, so a
// value containing none of them cannot match and the regexp need not run.
//
// Literal extraction over regexp/syntax is hand-written because no library
// derives a *necessary* literal set: regexp's own LiteralPrefix covers only
// anchored prefixes, and Coraza's SecRxPreFilter is unsound on the CRS (it
// lost two detections). Matching the literals is left to Aho-Corasick.
type rxFilter struct {
	lits   []string             // ASCII-lowercased; compared ASCII-case-insensitively
	minLen int                  // shortest literal: shorter values cannot contain one
	ac     *ahocorasick.Matcher // ASCII case-insensitive
	// foldKS is set when a case-folded k or s is part of a literal: Go's
	// (?i) also matches them as U+212A (Kelvin sign) and U+017F (long s),
	// which ASCII case folding does not cover, so such values bypass the
	// filter.
	foldKS bool
}

const (
	// maxExact bounds the strings tracked for a subexpression that matches
	// a finite set (cross products of small alternations and classes).
	maxExact = 64
	// maxClass bounds the size of a character class expanded into literals.
	maxClass = 16
	// maxLits bounds the final literal set of one pattern.
	maxLits = 512
	// minLitLen is the shortest literal worth a filter: single bytes occur
	// in almost every value and would only add a scan before the regexp.
	// Two bytes measured faster than three on the CRS (more patterns get a
	// filter; most values still contain none of the pairs).
	minLitLen = 2
)

// newRxFilter derives the prefilter for re (already carrying the flags the
// operator compiles with). It returns nil when no useful necessary literal
// set exists; the caller then always runs the regexp, which is always correct.
func newRxFilter(re *syntax.Regexp) *rxFilter {
	var st litState
	info := st.analyze(re.Simplify())
	lits := need(info)
	if lits == nil || len(lits) > maxLits {
		return nil
	}
	for _, l := range lits {
		if len(l) < minLitLen {
			return nil
		}
	}
	ac, err := ahocorasick.New(lits, true)
	if err != nil {
		return nil // cannot happen: every literal has at least minLitLen bytes
	}
	return &rxFilter{lits: lits, minLen: minLen(lits), ac: ac, foldKS: st.foldKS}
}

// mayMatch reports whether value contains one of the literals (or could
// match through a Unicode case fold the literals do not cover).
func (f *rxFilter) mayMatch(value string) bool {
	if len(value) < f.minLen {
		return false
	}
	if f.foldKS && (strings.Contains(value, "\u212a") || strings.Contains(value, "\u017f")) {
		return true
	}
	if len(f.lits) == 1 {
		return containsFoldASCII(value, f.lits[0])
	}
	return f.ac.Contains(value)
}

// containsFoldASCII reports whether s contains lit (ASCII-lowercased),
// ignoring ASCII case. Hand-written for the single-literal filters (a third
// of them): it skips to candidate bytes with IndexByte where the automaton
// steps through every byte, and strings has no ASCII-case-insensitive
// Contains without lowercasing a copy.
func containsFoldASCII(s, lit string) bool {
	lo, up := lit[0], lit[0]
	if 'a' <= lo && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	// Next positions of the first byte in either case; -1 once exhausted.
	nextLo, nextUp := indexByteFrom(s, 0, lo), indexByteFrom(s, 0, up)
	for {
		i := nextLo
		if i < 0 || nextUp >= 0 && nextUp < i {
			i = nextUp
		}
		if i < 0 || len(s)-i < len(lit) {
			return false
		}
		if equalFoldASCII(s[i:i+len(lit)], lit) {
			return true
		}
		if nextLo == i {
			nextLo = indexByteFrom(s, i+1, lo)
		}
		if nextUp == i {
			nextUp = indexByteFrom(s, i+1, up)
		}
	}
}

func indexByteFrom(s string, from int, c byte) int {
	if j := strings.IndexByte(s[from:], c); j >= 0 {
		return from + j
	}
	return -1
}

// equalFoldASCII compares a with the ASCII-lowercased lit, folding only
// ASCII letters in a.
func equalFoldASCII(a, lit string) bool {
	for k := 0; k < len(lit); k++ {
		c := a[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[k] {
			return false
		}
	}
	return true
}

// litInfo describes what one subexpression matches.
type litInfo struct {
	// exact, when hasExact, is the finite set of strings the subexpression
	// matches (ASCII-lowercased).
	exact    []string
	hasExact bool
	// req, when non-nil, is a set of which every match contains one.
	req []string
}

type litState struct {
	foldKS bool
}

// need is the best necessary literal set of a subexpression, or nil.
func need(in litInfo) []string {
	var cands [][]string
	if in.req != nil {
		cands = append(cands, in.req)
	}
	if in.hasExact {
		cands = append(cands, in.exact)
	}
	return best(cands)
}

// best picks the most selective usable set: the longest shortest literal,
// then the fewest literals. A set containing "" requires nothing.
func best(cands [][]string) []string {
	var out []string
	outMin := -1
	for _, c := range cands {
		if len(c) == 0 || len(c) > maxLits {
			continue
		}
		m := minLen(c)
		if m == 0 {
			continue
		}
		if m > outMin || m == outMin && len(c) < len(out) {
			out, outMin = c, m
		}
	}
	return out
}

func minLen(set []string) int {
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func exactOf(set ...string) litInfo {
	return litInfo{exact: dedupe(set), hasExact: true}
}

func dedupe(set []string) []string {
	set = slices.Clone(set)
	slices.Sort(set)
	return slices.Compact(set)
}

// literal encodes the runes of a literal, or reports that the filter cannot
// represent it: U+FFFD also matches any invalid byte in the input, and a
// case-folded non-ASCII rune has forms ASCII folding does not cover.
func (st *litState) literal(runes []rune, fold bool) (string, bool) {
	var b []byte
	for _, r := range runes {
		if r == utf8.RuneError || !utf8.ValidRune(r) {
			return "", false
		}
		if fold {
			if r >= utf8.RuneSelf && unicode.SimpleFold(r) != r {
				return "", false
			}
			switch r {
			case 'k', 'K', 's', 'S':
				st.foldKS = true
			}
		}
		b = utf8.AppendRune(b, r)
	}
	return asciiLower(string(b)), true
}

func (st *litState) analyze(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactOf("")
	case syntax.OpLiteral:
		s, ok := st.literal(re.Rune, re.Flags&syntax.FoldCase != 0)
		if !ok {
			return litInfo{}
		}
		return exactOf(s)
	case syntax.OpCharClass:
		return classInfo(re.Rune)
	case syntax.OpCapture:
		return st.analyze(re.Sub[0])
	case syntax.OpQuest:
		sub := st.analyze(re.Sub[0])
		if !sub.hasExact || len(sub.exact) >= maxExact {
			return litInfo{}
		}
		return exactOf(append(slices.Clone(sub.exact), "")...)
	case syntax.OpPlus:
		return litInfo{req: need(st.analyze(re.Sub[0]))}
	case syntax.OpRepeat:
		if re.Min < 1 {
			return litInfo{}
		}
		return litInfo{req: need(st.analyze(re.Sub[0]))}
	case syntax.OpConcat:
		return st.concat(re.Sub)
	case syntax.OpAlternate:
		return st.alternate(re.Sub)
	default:
		// OpAnyChar, OpAnyCharNotNL, OpStar, OpNoMatch: no requirement.
		return litInfo{}
	}
}

func classInfo(ranges []rune) litInfo {
	n := 0
	for i := 0; i+1 < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
		if n > maxClass {
			return litInfo{}
		}
	}
	var set []string
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			if r == utf8.RuneError || !utf8.ValidRune(r) {
				return litInfo{}
			}
			set = append(set, asciiLower(string(r)))
		}
	}
	if len(set) == 0 {
		return litInfo{}
	}
	return exactOf(set...)
}

// concat keeps a running cross product of consecutive finite children and
// chooses the best necessary set among those runs and the children's own.
func (st *litState) concat(subs []*syntax.Regexp) litInfo {
	var cands [][]string
	run := []string{""}
	whole := true // every child has been folded into run
	flush := func() {
		if !slices.Contains(run, "") {
			cands = append(cands, run)
		}
	}
	for _, sub := range subs {
		in := st.analyze(sub)
		if in.req != nil {
			cands = append(cands, in.req)
		}
		if in.hasExact && len(run)*len(in.exact) <= maxExact {
			run = cross(run, in.exact)
			continue
		}
		whole = false
		flush()
		run = []string{""}
		if in.hasExact {
			run = in.exact
		}
	}
	flush()
	out := litInfo{req: best(cands)}
	if whole {
		out.exact, out.hasExact = dedupe(run), true
	}
	return out
}

func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedupe(out)
}

func (st *litState) alternate(subs []*syntax.Regexp) litInfo {
	var exact, req []string
	allExact, allReq := true, true
	for _, sub := range subs {
		in := st.analyze(sub)
		if in.hasExact && allExact {
			exact = append(exact, in.exact...)
		} else {
			allExact = false
		}
		n := need(in)
		if n == nil {
			allReq = false
		} else if allReq {
			req = append(req, n...)
		}
	}
	var out litInfo
	if allExact && len(exact) <= maxExact {
		out.exact, out.hasExact = dedupe(exact), true
	}
	if allReq {
		out.req = dedupe(req)
	}
	return out
}
