package waf

import (
	"bufio"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/google/go-cmp/cmp"

	"github.com/rampart-sec/rampart/internal/gateway/waf/crsftw"
)

func mustParse(t testing.TB, pattern string) *syntax.Regexp {
	t.Helper()
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

func filterLits(t *testing.T, pattern string) []string {
	t.Helper()
	re, err := syntax.Parse(rxFlags+pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	f := newRxFilter(re)
	if f == nil {
		return nil
	}
	return f.lits
}

func TestRxFilterLiterals(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{`union\s+select`, []string{"select"}},
		{`(?i)<script`, []string{"<script"}},
		{`(?:foo|bar)baz`, []string{"barbaz", "foobaz"}},
		{`(?:foo|ba)\d+x`, []string{"ba", "foo"}},
		{`(?:foo|b)\d+x`, nil}, // "b" too short: no filter
		{`ab?c`, []string{"abc", "ac"}},
		{`a[bc]?d`, []string{"abd", "acd", "ad"}},
		{`a.?d`, nil},
		{`a.*bcd`, []string{"bcd"}},
		{`(?:abc)+`, []string{"abc"}},
		{`(?:abc)*`, nil},
		{`abc|.`, nil},
		{`[<>]scr`, []string{"<scr", ">scr"}},
		{`\xe9t\xe9`, []string{"\u00e9t\u00e9"}},
		{`(?i)\x{e9}t\x{e9}`, nil}, // folded non-ASCII: not representable
		{`^$`, nil},
		{`(?i)php://`, []string{"php://"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got := filterLits(t, tt.pattern)
			want := tt.want
			if len(want) == 0 {
				want = nil
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("literals (-got +want):\n%s", diff)
			}
		})
	}
}

// TestFoldOnlyKS pins the assumption behind rxFilter.foldKS: among ASCII
// letters only k and s have case folds outside ASCII.
func TestFoldOnlyKS(t *testing.T) {
	var got []rune
	for r := rune(0); r < utf8.RuneSelf; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f >= utf8.RuneSelf {
				got = append(got, r)
				break
			}
		}
	}
	if diff := cmp.Diff(got, []rune{'K', 'S', 'k', 's'}); diff != "" {
		t.Errorf("ASCII runes with non-ASCII folds (-got +want):\n%s", diff)
	}
}

func TestRxFilterFoldKS(t *testing.T) {
	for _, pattern := range []string{`(?i)select`, `(?i)ask`} {
		re := regexp.MustCompile(rxFlags + pattern)
		f := newRxFilter(mustParse(t, rxFlags+pattern))
		for _, v := range []string{"ſelect", "a\u212a", "SELECT", "xx"} {
			if re.MatchString(v) && !f.mayMatch(v) {
				t.Errorf("%q: filter rejects %q, which matches", pattern, v)
			}
		}
	}
}

// crsRx records the arguments of every @rx operator Coraza builds while it
// compiles the embedded CRS with Rampart's operator registered.
var crsRx = sync.OnceValues(func() ([]string, error) {
	registerOperators()
	var mu sync.Mutex
	var got []string
	plugins.RegisterOperator("rx", func(o plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		mu.Lock()
		got = append(got, o.Arguments)
		mu.Unlock()
		return newRxOperator(o)
	})
	defer plugins.RegisterOperator("rx", newRxOperator)
	_, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives("Include @owasp_crs/*.conf").
		WithDirectives(`SecRule ARGS "implicit(rx)" "id:1,phase:2,pass,nolog"`))
	return got, err
})

func crsPatterns(t testing.TB) []string {
	t.Helper()
	got, err := crsRx()
	if err != nil {
		t.Fatal(err)
	}
	return dedupe(got)
}

// TestRxOperatorResolvesEveryRx checks that Coraza's parser builds Rampart's
// operator for every @rx in the CRS and for a rule with no operator.
func TestRxOperatorResolvesEveryRx(t *testing.T) {
	got, err := crsRx()
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(coreruleset.FS, "@owasp_crs/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, name := range files {
		b, err := fs.ReadFile(coreruleset.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "#") {
				want += strings.Count(line, `"@rx `) + strings.Count(line, `"!@rx `)
			}
		}
	}
	if want == 0 {
		t.Fatal("no @rx found in the embedded CRS")
	}
	if !slices.Contains(got, "implicit(rx)") {
		t.Errorf("rule without an operator did not reach Rampart's rx")
	}
	if len(got)-1 != want {
		t.Errorf("Rampart's rx built %d times for %d @rx in the CRS", len(got)-1, want)
	}
}

// differentialInputs are realistic values for the soundness check: the WAF
// corpora, the CRS regression requests, and url-decoded, lowercased variants
// (the CRS matches after such transformations).
func differentialInputs(t *testing.T) []string {
	t.Helper()
	var in []string
	add := func(s string) {
		if s == "" {
			return
		}
		in = append(in, s, strings.ToLower(s))
		if u, err := url.QueryUnescape(s); err == nil && u != s {
			in = append(in, u, strings.ToLower(u))
		}
	}
	for _, name := range []string{"benign.jsonl", "attacks.jsonl"} {
		for _, r := range loadCorpus(t, name) {
			add(r.Path)
			add(r.Body)
			for k, v := range r.Headers {
				add(k)
				add(v)
			}
		}
	}
	dir := crsftw.SuiteDir(t, filepath.Join("..", "..", ".."))
	for _, c := range crsftw.Load(t, dir) {
		for _, s := range c.Stages() {
			if s.Input.URI != nil {
				add(*s.Input.URI)
			}
			add(s.Input.Data)
			for _, v := range s.Input.Headers {
				add(v)
			}
		}
	}
	in = dedupe(in)
	if testing.Short() || raceDetector {
		// Every tenth distinct value keeps -short and -race quick; the full
		// run covers all.
		var sample []string
		for i := 0; i < len(in); i += 10 {
			sample = append(sample, in[i])
		}
		in = sample
	}
	return in
}

// TestRxFilterSoundCRS is the differential proof on real data: for every CRS
// @rx pattern and every input, a filter that says "cannot match" must agree
// with the regexp.
func TestRxFilterSoundCRS(t *testing.T) {
	patterns := crsPatterns(t)
	inputs := differentialInputs(t)
	rng := rand.New(rand.NewPCG(1, 2))
	filtered, skipped := 0, 0
	for _, p := range patterns {
		data := rxFlags + p
		if matchesArbitraryBytes(data) {
			continue
		}
		re := regexp.MustCompile(data)
		f := newRxFilter(mustParse(t, data))
		if f == nil {
			continue
		}
		filtered++
		// Each literal planted in noise must pass the filter (it is found),
		// and random strings must never contradict the regexp.
		for _, l := range f.lits {
			if !f.mayMatch("xx" + strings.ToUpper(l) + "yy") {
				t.Errorf("%q: literal %q not found by the automaton", p, l)
			}
		}
		for _, v := range inputs {
			if !f.mayMatch(v) {
				skipped++
				if re.MatchString(v) {
					t.Errorf("unsound filter for %q: rejects %.120q, which matches", p, v)
				}
			}
		}
		for range 20 {
			v := randomValue(rng, f.lits)
			if !f.mayMatch(v) && re.MatchString(v) {
				t.Errorf("unsound filter for %q: rejects %.120q, which matches", p, v)
			}
		}
	}
	t.Logf("%d CRS @rx patterns, %d with a literal filter; %d inputs; %d regexp runs skipped", len(patterns), filtered, len(inputs), skipped)
}

// randomValue builds a value from fragments of the literals, mangled, with
// random bytes around: near misses are where an unsound filter would show.
func randomValue(rng *rand.Rand, lits []string) string {
	var b strings.Builder
	for range 1 + rng.IntN(4) {
		l := lits[rng.IntN(len(lits))]
		switch rng.IntN(4) {
		case 0:
			l = l[:rng.IntN(len(l))]
		case 1:
			l = strings.ToUpper(l)
		case 2:
			i := rng.IntN(len(l))
			l = l[:i] + string(rune(rng.IntN(0x200))) + l[i:]
		}
		b.WriteString(l)
		for range rng.IntN(6) {
			b.WriteByte(byte(rng.IntN(256)))
		}
	}
	return b.String()
}

// FuzzPrefilter checks soundness for a random CRS pattern and a random value.
func FuzzPrefilter(f *testing.F) {
	patterns := crsPatterns(f)
	type compiled struct {
		re *regexp.Regexp
		f  *rxFilter
	}
	var cs []compiled
	for _, p := range patterns {
		data := rxFlags + p
		if matchesArbitraryBytes(data) {
			continue
		}
		if flt := newRxFilter(mustParse(f, data)); flt != nil {
			cs = append(cs, compiled{regexp.MustCompile(data), flt})
		}
	}
	if len(cs) == 0 {
		f.Fatal("no filtered CRS patterns")
	}
	f.Add(uint16(0), "union select 1")
	f.Add(uint16(7), "<ſcript>alert(1)</ſcript>")
	f.Add(uint16(42), "/etc/passwd\x00\xff")
	f.Fuzz(func(t *testing.T, i uint16, v string) {
		c := cs[int(i)%len(cs)]
		if !c.f.mayMatch(v) && c.re.MatchString(v) {
			t.Fatalf("unsound filter for %q: rejects %q, which matches", c.re, v)
		}
	})
}

func TestContainsFoldASCII(t *testing.T) {
	tests := []struct {
		s, lit string
		want   bool
	}{
		{"xxUNION yy", "union", true},
		{"uniounion", "union", true},
		{"unio", "union", false},
		{"", "ab", false},
		{"aB", "ab", true},
		{"aAAb", "aab", true},
		{"AaA", "aab", false},
		{"ba", "ab", false},
		{"a\u212a", "ak", false}, // Kelvin is handled by foldKS, not here
		{"x/ETC/passwd", "/etc/passwd", true},
		{"\xc3\xa9t\xc3\xa9", "\u00e9t\u00e9", true},
		{"\xc3\x89T\xc3\x89", "\u00e9t\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.s+"/"+tt.lit, func(t *testing.T) {
			if got := containsFoldASCII(tt.s, tt.lit); got != tt.want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", tt.s, tt.lit, got, tt.want)
			}
		})
	}
}

// FuzzContainsFoldASCII compares the hand-written search with lowering a copy.
func FuzzContainsFoldASCII(f *testing.F) {
	f.Add("xxUNION yy", "union")
	f.Add("\xc3\xa9t\xc3\xa9", "\u00e9t")
	f.Fuzz(func(t *testing.T, s, lit string) {
		lit = asciiLower(lit)
		if lit == "" {
			return
		}
		lower := []byte(s)
		for i, c := range lower {
			if 'A' <= c && c <= 'Z' {
				lower[i] = c + 'a' - 'A'
			}
		}
		if got, want := containsFoldASCII(s, lit), strings.Contains(string(lower), lit); got != want {
			t.Fatalf("containsFoldASCII(%q, %q) = %v, want %v", s, lit, got, want)
		}
	})
}

// captureTx records captures; the embedded nil interface panics on any
// other use, which Evaluate must not make.
type captureTx struct {
	plugintypes.TransactionState
	capturing bool
	got       map[int]string
}

func (c *captureTx) Capturing() bool { return c.capturing }

func (c *captureTx) CaptureField(i int, v string) { c.got[i] = v }

func TestRxOperatorEvaluate(t *testing.T) {
	tests := []struct {
		name, pattern, value string
		capturing            bool
		want                 bool
		wantCaps             map[int]string
	}{
		{"captures with a skipped group", `(abc)(x)?(def)`, "..abcdef", true, true,
			map[int]string{0: "abcdef", 1: "abc", 2: "", 3: "def"}},
		{"groups past 8 are not captured", `(ab)(c)(d)(e)(f)(g)(h)(i)(j)(k)`, "abcdefghijk", true, true,
			map[int]string{0: "abcdefghijk", 1: "ab", 2: "c", 3: "d", 4: "e", 5: "f", 6: "g", 7: "h", 8: "i"}},
		{"filtered out", `(abc)(def)`, "xyz", true, false, map[int]string{}},
		{"dotall and multiline", `^b.c$`, "a\nb\nc\nd", false, true, map[int]string{}},
		{"no capture without the capture action", `(abc)`, "abc", false, true, map[int]string{}},
		{"byte matcher", `\xff\xfeab`, "x\xff\xfeab", true, true, map[int]string{0: "\xff\xfeab"}},
		{"byte matcher miss", `\xff\xfeab`, "\xfe\xffab", false, false, map[int]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEvaluate(t, tt.pattern, tt.value, tt.capturing, tt.want, tt.wantCaps)
		})
	}
}

func TestRxOperatorBadPattern(t *testing.T) {
	if _, err := newRxOperator(plugintypes.OperatorOptions{Arguments: `(unclosed`}); err == nil || !strings.Contains(err.Error(), "(unclosed") {
		t.Errorf("error %v does not name the pattern", err)
	}
}
