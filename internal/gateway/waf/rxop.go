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
	"rsc.io/binaryregexp"
)

// rxOperator is Rampart's @rx: Coraza's semantics (dotall and multiline
// flags, capture of groups 0-8 into TX when the rule captures) behind a sound
// literal prefilter, which skips the regexp for values that cannot match.
// Regexp evaluation of the CRS was two thirds of a request's CPU.
type rxOperator struct {
	re     *regexp.Regexp
	filter *rxFilter // nil: no usable literals, always run re
}

var _ plugintypes.Operator = (*rxOperator)(nil)

// registerRx replaces Coraza's "rx" operator with rxOperator, process wide.
// Coraza's rule parser resolves every @rx, and every rule without an
// explicit operator, through this registry when the rules are compiled.
var registerRx = sync.OnceFunc(func() {
	plugins.RegisterOperator("rx", newRxOperator)
	rxRegistered.Store(true)
})

// rxRegistered tells benchmarks whether Coraza's own rx is still in place.
var rxRegistered atomic.Bool

// rxFlags is what Coraza v3.8.1 prepends to every @rx pattern by default
// (build tag coraza.rule.no_regex_multiline unset): dotall as in
// ModSecurity, and multiline.
const rxFlags = "(?sm)"

// rxCompiled is the part of an operator shared by every rule with the same
// pattern through Coraza's memoizer.
type rxCompiled struct {
	re     *regexp.Regexp
	filter *rxFilter
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
		return &rxCompiled{re: re, filter: newRxFilter(parsed)}, nil
	})
	if err != nil {
		return nil, err
	}
	rc := c.(*rxCompiled)
	return &rxOperator{re: rc.re, filter: rc.filter}, nil
}

func memoize(m plugintypes.Memoizer, key string, fn func() (any, error)) (any, error) {
	if m == nil {
		return fn()
	}
	return m.Do(key, fn)
}

// Evaluate matches value as Coraza's rx does, after the prefilter.
func (o *rxOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	if o.filter != nil && !o.filter.mayMatch(value) {
		return false
	}
	if !tx.Capturing() {
		return o.re.MatchString(value)
	}
	m := o.re.FindStringSubmatchIndex(value)
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
