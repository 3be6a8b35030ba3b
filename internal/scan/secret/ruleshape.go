package secret

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The fast path (fastpath.go) runs a rule's regex only on the lines around
// its keywords. That gives gitleaks' whole-file result only for a rule
// whose every match contains one of its keywords and spans a bounded
// number of lines. Both properties are read here from the parsed regex
// (regexp/syntax); no library answers "must every match contain one of
// these strings", so the small analysis is hand-written and errs towards
// "unknown", which sends the rule to the whole-file path.

// unbounded is the newline count of a regex that can span any number of lines.
const unbounded = -1

// Bounds on the literal expansion: a rule regex with more variants than
// this is simply not windowed.
const (
	maxLits   = 256
	maxLitLen = 64
)

// ruleShape is what the fast path needs to know about one rule.
type ruleShape struct {
	// windowed is true when every match contains a keyword and the span
	// below is known.
	windowed bool
	// before and after bound the newlines a match can have before and
	// after its keyword; unbounded means "to the start/end of the file".
	before, after int
	// line is the longest line (bytes, without its '\n') that a match can
	// run through after its keyword's line and go on past: a longer line
	// ends the match, at the latest with its own '\n' as the match's last
	// byte. -1: no line; inf: any.
	line int
	// beginText: the regex uses \A or non-multi-line ^.
	beginText bool
	// closing: the regex ends in a part whose '\n' can only be the
	// match's last byte (gitleaks' (?:[\x60'"\s;]|\\[nr]|$)); line and
	// afterOpen leave that newline out. Nothing is matched after it.
	closing bool
	// afterOpen bounds the newlines after the keyword but the closing one.
	afterOpen int
}

// shapeOf analyses expr for the lowercased keywords kws.
func shapeOf(expr string, kws []string) ruleShape {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || len(kws) == 0 {
		return ruleShape{}
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	c := litCache{}
	if !c.mustContain(re, kws) {
		return ruleShape{}
	}
	bt := hasBeginText(re)
	if re.Op != syntax.OpConcat {
		n := maxNewlines(re)
		return ruleShape{windowed: true, before: n, after: n, afterOpen: n, line: segOf(re).mid, beginText: bt}
	}
	// Split the concatenation at the first part that holds a keyword: the
	// newlines before it can only precede the keyword, those after only
	// follow it, and those inside it can be on either side.
	k := -1
	for i, s := range re.Sub {
		if c.mustContain(s, kws) {
			k = i
			break
		}
	}
	if k < 0 {
		// The keyword spans several parts: count every newline both ways.
		n := maxNewlines(re)
		return ruleShape{windowed: true, before: n, after: n, afterOpen: n, line: segOf(re).mid, beginText: bt}
	}
	in := maxNewlines(re.Sub[k])
	tail := re.Sub[k:]
	closing := false
	if n := len(tail) - 1; n >= 1 && nlOnlyAtEnd(tail[n]) {
		// A closing newline ends the match: the line before it need
		// not be short.
		tail = tail[:n]
		closing = true
	}
	after := addNL(in, sumNL(re.Sub[k+1:]))
	afterOpen := after
	if closing {
		afterOpen = addNL(in, sumNL(tail[1:]))
	}
	return ruleShape{
		windowed:  true,
		before:    addNL(sumNL(re.Sub[:k]), in),
		after:     after,
		line:      concatSeg(tail).mid,
		beginText: bt,
		closing:   closing,
		afterOpen: afterOpen,
	}
}

func addNL(a, b int) int {
	if a == unbounded || b == unbounded {
		return unbounded
	}
	return a + b
}

func sumNL(subs []*syntax.Regexp) int {
	n := 0
	for _, s := range subs {
		n = addNL(n, maxNewlines(s))
	}
	return n
}

// maxNewlines is the most '\n' bytes a match of re can contain.
func maxNewlines(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r == '\n' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxNewlines(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxNewlines(re.Sub[0]) != 0 {
			return unbounded
		}
		return 0
	case syntax.OpRepeat:
		n := maxNewlines(re.Sub[0])
		switch {
		case n == 0:
			return 0
		case n == unbounded || re.Max < 0:
			return unbounded
		}
		return n * re.Max
	case syntax.OpConcat:
		return sumNL(re.Sub)
	case syntax.OpAlternate:
		m := 0
		for _, s := range re.Sub {
			n := maxNewlines(s)
			if n == unbounded {
				return unbounded
			}
			m = max(m, n)
		}
		return m
	}
	// Empty matches, anchors and word boundaries consume nothing.
	return 0
}

// mustContain reports whether every match of re, lowercased, contains one
// of kws. The caller lowercases text the way gitleaks does and keeps files
// where that changes byte offsets or case folding off this path.
func (c litCache) mustContain(re *syntax.Regexp, kws []string) bool {
	if ls, ok := c.literals(re); ok {
		return allContain(ls, kws)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return c.mustContain(re.Sub[0], kws)
	case syntax.OpRepeat:
		return re.Min >= 1 && c.mustContain(re.Sub[0], kws)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !c.mustContain(s, kws) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if c.mustContain(s, kws) {
				return true
			}
		}
		// A keyword may be spread over adjacent parts, as in [Aa]pi.
		for i := range re.Sub {
			acc := []string{""}
			for j := i; j < len(re.Sub); j++ {
				ls, ok := c.literals(re.Sub[j])
				if !ok {
					break
				}
				if acc, ok = cross(acc, ls); !ok {
					break
				}
				if allContain(acc, kws) {
					return true
				}
			}
		}
	}
	return false
}

func allContain(ls, kws []string) bool {
	for _, l := range ls {
		found := false
		for _, k := range kws {
			if strings.Contains(l, k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// litCache memoizes literals per node for one expression: mustContain asks
// for the literals of every node on its way down, which without it costs
// time quadratic in the expression's depth (a third of a secret scan's
// start-up before).
type litCache map[*syntax.Regexp]litResult

type litResult struct {
	ls []string
	ok bool
}

// literals lists every lowercased string re can match when they are few
// and short; ok is false otherwise. Memoized; the slice is clipped, so a
// caller that appends to it gets a copy and leaves the memo intact.
func (c litCache) literals(re *syntax.Regexp) ([]string, bool) {
	if r, ok := c[re]; ok {
		return r.ls, r.ok
	}
	ls, ok := c.lit(re)
	ls = slices.Clip(ls)
	c[re] = litResult{ls, ok}
	return ls, ok
}

// lit computes literals(re) (children through the memo).
func (c litCache) lit(re *syntax.Regexp) (ls []string, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		if len(re.Rune) > maxLitLen {
			return nil, false
		}
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCharClass:
		seen := map[string]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > maxLits {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				s := string(unicode.ToLower(asciiFold(r)))
				if !seen[s] {
					seen[s] = true
					ls = append(ls, s)
				}
			}
			if len(ls) > maxLits {
				return nil, false
			}
		}
		return ls, len(ls) > 0
	case syntax.OpCapture:
		return c.literals(re.Sub[0])
	case syntax.OpQuest:
		ls, ok := c.literals(re.Sub[0])
		return append(ls, ""), ok && len(ls) < maxLits
	case syntax.OpConcat:
		acc := []string{""}
		for _, s := range re.Sub {
			l, ok := c.literals(s)
			if !ok {
				return nil, false
			}
			if acc, ok = cross(acc, l); !ok {
				return nil, false
			}
		}
		return acc, true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			l, ok := c.literals(s)
			if !ok || len(ls)+len(l) > maxLits {
				return nil, false
			}
			ls = append(ls, l...)
		}
		return ls, true
	}
	return nil, false
}

func cross(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxLits {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if len(x)+len(y) > maxLitLen {
				return nil, false
			}
			out = append(out, x+y)
		}
	}
	return out, true
}

// asciiFold maps a non-ASCII rune that case-folds to an ASCII letter (the
// Kelvin sign, the long s) to that letter. Files holding such runes never
// take the fast path (see foldsToASCII), so the analysis may ignore them.
func asciiFold(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return f
		}
	}
	return r
}

// inf stands for "no bound" in byte lengths.
const inf = 1 << 30

func sat(a, b int) int { return min(a+b, inf) }

// seg describes the byte lengths of a node's matches around newlines.
// All values are upper bounds; mid is -1 when no match holds two newlines.
type seg struct {
	nl   bool // a match can contain '\n'
	full int  // longest match
	pre  int  // longest run before a match's first '\n'
	suf  int  // longest run after a match's last '\n'
	mid  int  // longest run between two '\n' of one match
}

func segOf(re *syntax.Regexp) seg {
	switch re.Op {
	case syntax.OpLiteral:
		s := seg{mid: -1}
		run := 0
		for _, r := range re.Rune {
			if r == '\n' {
				if s.nl {
					s.mid = max(s.mid, run)
				} else {
					s.pre = run
				}
				s.nl = true
				run = 0
				s.full++
				continue
			}
			n := utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				n = utf8.UTFMax
			}
			run += n
			s.full += n
		}
		if s.nl {
			s.suf = run
		}
		return s
	case syntax.OpCharClass:
		s := seg{mid: -1}
		if len(re.Rune) > 0 {
			s.full = utf8.RuneLen(min(re.Rune[len(re.Rune)-1], unicode.MaxRune))
		}
		s.nl = maxNewlines(re) > 0
		return s
	case syntax.OpAnyChar:
		return seg{nl: true, full: utf8.UTFMax, mid: -1}
	case syntax.OpAnyCharNotNL:
		return seg{full: utf8.UTFMax, mid: -1}
	case syntax.OpCapture, syntax.OpQuest:
		return segOf(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		s := segOf(re.Sub[0])
		m := -1
		if re.Op == syntax.OpRepeat {
			m = re.Max
		}
		total := 0
		switch {
		case s.full == 0:
		case m < 0:
			total = inf
		default:
			total = min(m*s.full, inf)
		}
		if !s.nl {
			return seg{full: total, mid: -1}
		}
		return seg{nl: true, full: total, pre: sat(total, s.pre), suf: sat(total, s.suf), mid: max(s.mid, sat(sat(s.suf, total), s.pre))}
	case syntax.OpConcat:
		return concatSeg(re.Sub)
	case syntax.OpAlternate:
		s := seg{mid: -1}
		for _, sub := range re.Sub {
			t := segOf(sub)
			s.nl = s.nl || t.nl
			s.full, s.pre, s.suf, s.mid = max(s.full, t.full), max(s.pre, t.pre), max(s.suf, t.suf), max(s.mid, t.mid)
		}
		return s
	}
	return seg{mid: -1}
}

func concatSeg(subs []*syntax.Regexp) seg {
	ss := make([]seg, len(subs))
	for i, sub := range subs {
		ss[i] = segOf(sub)
	}
	out := seg{mid: -1}
	acc := 0
	for _, s := range ss {
		if s.nl {
			out.nl = true
			out.pre = max(out.pre, sat(acc, s.pre))
		}
		acc = sat(acc, s.full)
	}
	out.full = acc
	acc = 0
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].nl {
			out.suf = max(out.suf, sat(acc, ss[i].suf))
		}
		acc = sat(acc, ss[i].full)
	}
	cur := -1 // longest run since the last '\n', -1 before the first
	for _, s := range ss {
		out.mid = max(out.mid, s.mid)
		next := -1
		if cur >= 0 {
			next = sat(cur, s.full)
		}
		if s.nl {
			if cur >= 0 {
				out.mid = max(out.mid, sat(cur, s.pre))
			}
			next = max(next, s.suf)
		}
		cur = next
	}
	return out
}

// nlOnlyAtEnd reports whether a '\n' in a match of re can only be its
// last byte, as in gitleaks' closing (?:[\x60'"\s;]|\\[nr]|$).
func nlOnlyAtEnd(re *syntax.Regexp) bool {
	if maxNewlines(re) == 0 {
		return true
	}
	switch re.Op {
	case syntax.OpCharClass, syntax.OpAnyChar:
		return true
	case syntax.OpCapture, syntax.OpQuest:
		return nlOnlyAtEnd(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !nlOnlyAtEnd(s) {
				return false
			}
		}
		return true
	}
	return false
}

// hasBeginText reports whether re uses \A or ^ outside multi-line mode,
// which holds at a window's start but not at a line start of the file.
func hasBeginText(re *syntax.Regexp) bool {
	if re.Op == syntax.OpBeginText {
		return true
	}
	for _, s := range re.Sub {
		if hasBeginText(s) {
			return true
		}
	}
	return false
}
