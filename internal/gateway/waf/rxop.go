package waf

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/wasilibs/go-re2/experimental"
	"rsc.io/binaryregexp"
)

// rxOperator is Rampart's @rx: Coraza's semantics (dotall and multiline
// flags, capture of groups 0-8 into TX when the rule captures) behind a sound
// literal prefilter, which skips the regexp for values that cannot match.
// Regexp evaluation of the CRS was two thirds of a request's CPU.
//
// Values the filter lets through are matched by RE2 (go-re2, a pure-Go
// translation of RE2's wasm build: a lazy DFA, linear in the value, where
// Go's regexp runs an NFA or a backtracker). Go's regexp, the reference,
// still decides whenever RE2 cannot be trusted or cannot answer: values
// that are not valid UTF-8 (RE2's . and negated classes do not match an
// invalid byte, which Go's regexp reads as U+FFFD, so a payload spanning one
// would go unseen), a pattern RE2 does not compile, and a search whose DFA
// could not run within its memory budget. Captures always come from
// Go's regexp, run only after RE2 found a match, so TX.0-TX.8 are Coraza's.
type rxOperator struct {
	re     *lazyRegexp
	re2    *experimental.Set // nil: RE2 rejected the pattern; re decides
	filter *rxFilter         // nil: no usable literals, always run a regexp
}

var _ plugintypes.Operator = (*rxOperator)(nil)

// registerOperators replaces Coraza's "rx" operator with rxOperator and
// its "pm", "pmFromFile" and "pmf" with pmOperator (pmop.go), process wide.
// Coraza's rule parser resolves every operator, and every rule without an
// explicit one (@rx), through this registry when the rules are compiled.
var registerOperators = sync.OnceFunc(func() {
	plugins.RegisterOperator("rx", newRxOperator)
	plugins.RegisterOperator("pm", newPMOperator)
	plugins.RegisterOperator("pmFromFile", newPMFromFileOperator)
	plugins.RegisterOperator("pmf", newPMFromFileOperator)
	operatorsRegistered.Store(true)
})

// operatorsRegistered tells benchmarks whether Coraza's own operators are
// still in place.
var operatorsRegistered atomic.Bool

// rxFlags is what Coraza v3.8.1 prepends to every @rx pattern by default
// (build tag coraza.rule.no_regex_multiline unset): dotall as in
// ModSecurity, and multiline.
const rxFlags = "(?sm)"

// rxCompiled is the part of an operator shared by every rule with the same
// pattern through Coraza's memoizer.
type rxCompiled struct {
	re     *lazyRegexp
	re2    *experimental.Set
	filter *rxFilter
}

// lazyRegexp is a pattern's Go regexp, compiled when first needed. RE2
// decides most values without it; the captures of a match, values that are
// not UTF-8 and searches RE2 gave up on need it. Compiled up front, the
// CRS's regexps were 7.5 MB of live heap, which under the memory limit
// made garbage collection run a third more often: 5-10% of a CRS request's
// CPU (docs/benchmarks.md).
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	// MustCompile cannot fail: the same expression compiled at load.
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

// re2MaxMem bounds the memory RE2 may use for one pattern: its program and
// its DFA cache, kept in RE2's wasm linear memory (outside the Go heap),
// which never shrinks. The library's default (128 MiB per pattern) would let
// hostile values grow the CRS's 281 caches without a useful bound; with this
// one they cannot pass about 281 MiB together (4-11 MB were measured, see
// docs/benchmarks.md). A full cache is flushed; a search that cannot run
// within the budget fails and is answered by Go's regexp. One CRS pattern's
// program does not fit and stays on Go's regexp (none at 2 MiB, 13 at 256
// KiB).
const re2MaxMem = 1 << 20

// compileRE2 compiles data (flags included) for RE2 as a one-pattern set:
// unlike a single Regexp, a set takes a memory bound, reports a DFA that ran
// out of it as an error rather than silently switching to a slower engine,
// and answers only "matched or not", all the operator asks of it. It returns
// nil when RE2 rejects the pattern (syntax Go accepts and RE2 does not, or a
// program over the budget); the operator then uses Go's regexp alone.
func compileRE2(data string, maxMem int) *experimental.Set {
	set, err := experimental.CompileSetWithOptions([]string{data}, experimental.CompileOptions{MaxMem: maxMem})
	if err != nil {
		return nil
	}
	return set
}

func newRxOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	data := rxFlags + opts.Arguments
	if matchesArbitraryBytes(data) {
		return newBinaryRx(opts)
	}
	// SecRxPreFilter (opts.RxPreFilterEnabled) is deliberately ignored:
	// Coraza's own prefilter is unsound on the CRS, and this one is sound,
	// so results always equal the plain regexp's.
	c, err := memoize(opts.Memoizer, "rampart-rx:"+data, func() (any, error) {
		// Compiled here to reject a bad pattern at load, and dropped
		// unless RE2 cannot take the pattern (see lazyRegexp).
		re, err := regexp.Compile(data)
		if err != nil {
			return nil, fmt.Errorf("compile @rx %q: %w", opts.Arguments, err)
		}
		// regexp.Compile parsed with syntax.Perl; the filter must see the
		// same tree.
		parsed, err := syntax.Parse(data, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("parse @rx %q: %w", opts.Arguments, err)
		}
		rc := &rxCompiled{re: &lazyRegexp{expr: data}, re2: compileRE2(data, re2MaxMem), filter: newRxFilter(parsed)}
		if rc.re2 == nil {
			rc.re.once.Do(func() { rc.re.re = re })
		}
		return rc, nil
	})
	if err != nil {
		return nil, err
	}
	rc := c.(*rxCompiled)
	return &rxOperator{re: rc.re, re2: rc.re2, filter: rc.filter}, nil
}

func memoize(m plugintypes.Memoizer, key string, fn func() (any, error)) (any, error) {
	if m == nil {
		return fn()
	}
	return m.Do(key, fn)
}

// Evaluate matches value as Coraza's rx does: the prefilter first (except
// where RE2 is cheaper than it), then RE2 where it may decide, and Go's
// regexp otherwise and for the captures of a match.
func (o *rxOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	// skipped: the filter did not run yet; it still must before Go's
	// regexp, which it saves far more than it costs.
	skipped := o.filter != nil && o.re2First(value)
	if o.filter != nil && !skipped && !o.filter.mayMatch(value) {
		return false
	}
	matched, ok := o.matchRE2(value)
	if ok && (!matched || !tx.Capturing()) {
		return matched
	}
	if !ok {
		if skipped && !o.filter.mayMatch(value) {
			return false
		}
		if !tx.Capturing() {
			return o.re.get().MatchString(value)
		}
	}
	m := o.re.get().FindStringSubmatchIndex(value)
	if m == nil {
		return false
	}
	// Like Coraza: groups 0..8 go to TX:0..8; a group that did not take
	// part in the match is captured as "".
	for i := 0; i < len(m)/2 && i < 9; i++ {
		if m[2*i] >= 0 {
			tx.CaptureField(i, value[m[2*i]:m[2*i+1]])
		} else {
			tx.CaptureField(i, "")
		}
	}
	return true
}

// re2SkipFilterLen is the value length from which RE2 alone costs less than
// a multi-literal prefilter in front of it: Aho-Corasick (an NFA in Go) scans
// at about 8 ns a byte, RE2's DFA at about 3 ns plus a fixed 250 ns per call.
// Over the CRS's 121 multi-literal patterns and benign text the filter took
// 250 ns at 16 bytes against RE2's 270, and 410 ns at 32 bytes against 330.
// The single-literal filter (an IndexByte scan, 9-330 ns from 8 bytes to
// 1 KB) is always cheaper and always runs.
const re2SkipFilterLen = 24

// re2First reports whether value should go to RE2 without the prefilter.
func (o *rxOperator) re2First(value string) bool {
	return o.re2 != nil && len(value) >= re2SkipFilterLen && len(o.filter.lits) > 1
}

// matchRE2 reports whether RE2 finds a match in value, and ok=false when RE2
// must not decide: no RE2 program, a value that is not valid UTF-8, or a
// search that failed (DFA out of memory). The caller then runs Go's regexp.
func (o *rxOperator) matchRE2(value string) (matched, ok bool) {
	if o.re2 == nil || !utf8.ValidString(value) {
		return false, false
	}
	m, err := o.re2.FindAllStringWithError(value, 1)
	if err != nil {
		return false, false
	}
	return len(m) > 0, true
}

// binaryRx serves patterns that match non-UTF-8 bytes, as Coraza does, with
// rsc.io/binaryregexp and without flags or prefilter.
type binaryRx struct {
	re *binaryregexp.Regexp
}

func newBinaryRx(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	re, err := memoize(opts.Memoizer, "rampart-binrx:"+opts.Arguments, func() (any, error) {
		re, err := binaryregexp.Compile(opts.Arguments)
		if err != nil {
			return nil, fmt.Errorf("compile binary @rx %q: %w", opts.Arguments, err)
		}
		return re, nil
	})
	if err != nil {
		return nil, err
	}
	return &binaryRx{re: re.(*binaryregexp.Regexp)}, nil
}

func (o *binaryRx) Evaluate(tx plugintypes.TransactionState, value string) bool {
	if !tx.Capturing() {
		return o.re.MatchString(value)
	}
	m := o.re.FindStringSubmatch(value)
	if len(m) == 0 {
		return false
	}
	for i := 0; i < len(m) && i < 9; i++ {
		tx.CaptureField(i, m[i])
	}
	return true
}

// matchesArbitraryBytes reports whether the pattern's \xNN and \x{NN} escapes
// spell bytes that are not valid UTF-8, the test Coraza uses to choose its
// byte-oriented matcher; it must decide exactly as Coraza does.
func matchesArbitraryBytes(expr string) bool {
	decoded := make([]byte, 0, len(expr))
	for i := 0; i < len(expr); i++ {
		if expr[i] != '\\' {
			decoded = append(decoded, expr[i])
			continue
		}
		if i+3 >= len(expr) {
			decoded = append(decoded, expr[i:]...)
			break
		}
		if expr[i+1] != 'x' {
			decoded = append(decoded, expr[i])
			continue
		}
		esc, skip := expr[i:], 3
		if len(esc) >= 6 && esc[2] == '{' {
			if end := strings.IndexByte(esc, '}'); end != -1 {
				esc, skip = `\x`+esc[3:end], end
			}
		}
		v, multibyte, _, err := strconv.UnquoteChar(esc, 0)
		if err != nil || multibyte {
			decoded = append(decoded, expr[i])
			continue
		}
		decoded = append(decoded, byte(v))
		i += skip
	}
	return !utf8.Valid(decoded)
}
