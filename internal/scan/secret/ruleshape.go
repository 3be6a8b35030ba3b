package secret

import (
	"regexp/syntax"
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
	if !mustContain(re, kws) {
		return ruleShape{}
	}
	if re.Op != syntax.OpConcat {
		n := maxNewlines(re)
		return ruleShape{windowed: true, before: n, after: n}
	}
	// Split the concatenation at the first part that holds a keyword: the
	// newlines before it can only precede the keyword, those after only
	// follow it, and those inside it can be on either side.
	k := -1
	for i, s := range re.Sub {
		if mustContain(s, kws) {
			k = i
			break
		}
	}
	if k < 0 {
		// The keyword spans several parts: count every newline both ways.
		n := maxNewlines(re)
		return ruleShape{windowed: true, before: n, after: n}
	}
	in := maxNewlines(re.Sub[k])
	return ruleShape{
		windowed: true,
		before:   addNL(sumNL(re.Sub[:k]), in),
		after:    addNL(in, sumNL(re.Sub[k+1:])),
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
func mustContain(re *syntax.Regexp, kws []string) bool {
	if ls, ok := literals(re); ok {
		return allContain(ls, kws)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0], kws)
	case syntax.OpRepeat:
		return re.Min >= 1 && mustContain(re.Sub[0], kws)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !mustContain(s, kws) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if mustContain(s, kws) {
				return true
			}
		}
		// A keyword may be spread over adjacent parts, as in [Aa]pi.
		for i := range re.Sub {
			acc := []string{""}
			for j := i; j < len(re.Sub); j++ {
				ls, ok := literals(re.Sub[j])
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

// literals lists every lowercased string re can match when they are few
// and short; ok is false otherwise.
func literals(re *syntax.Regexp) (ls []string, ok bool) {
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
		return literals(re.Sub[0])
	case syntax.OpQuest:
		ls, ok := literals(re.Sub[0])
		return append(ls, ""), ok && len(ls) < maxLits
	case syntax.OpConcat:
		acc := []string{""}
		for _, s := range re.Sub {
			l, ok := literals(s)
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
			l, ok := literals(s)
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
