package secret

//lint:file-ignore SA1019 detect.Fragment is gitleaks v8's detector API; sources.Fragment replaces it only in v9.

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/regexp"
	"github.com/zricethezav/gitleaks/v8/report"
)

// fastPath gives the findings of gitleaks' detector on a whole file while
// running most rules' regexes only on the lines around their keywords.
//
// gitleaks prefilters rules per file: a rule runs over the whole file when
// one of its keywords occurs anywhere in it. Keywords such as "key", "api",
// "token" (generic-api-key) and "ey" (jwt) occur in nearly every source file,
// so their broad regexes scan every byte. Here one Aho-Corasick pass finds
// where the keywords are, and a rule whose every match contains one of its
// keywords within a bounded number of lines (ruleshape.go) runs, through a
// one-rule gitleaks detector, on those lines only. Everything else takes
// gitleaks' whole-file path unchanged:
//   - rules without keywords, composite rules and the rules they require,
//     rules with a path condition, and rules the analysis cannot bound: one
//     detector over the whole file ("rest"), run when one of their keywords
//     occurs in a file their path condition admits, or always when one of
//     them has a regex and no keywords; path-only rules are judged on the
//     path alone otherwise;
//   - files that gitleaks' decoding pass would decode (see mayDecode): the
//     full detector, because a decoded secret's keyword may exist only
//     after decoding;
//   - files whose lowercasing moves byte offsets or whose runes case-fold
//     to ASCII letters (the Kelvin sign, the long s), and, when a keyword
//     is not ASCII, files that are not valid UTF-8: the full detector.
//
// The differential tests compare this with the full detector.
type fastPath struct {
	full  *detect.Detector // every rule, decoding on: gitleaks' own path
	rest  *detect.Detector // the rules that always see the whole file; nil if none
	rules []windowRule     // the windowed rules
	// trie finds every keyword, overlapping ones included, ignoring ASCII
	// case; kwRules maps its pattern index to the windowed rules the
	// keyword triggers, and kwRest to the rest rules (restPaths indexes)
	// it triggers.
	trie    ahocorasick.AhoCorasick
	kwRules [][]int
	kwRest  [][]int
	// restPaths is the path condition of each rest rule with keywords (nil:
	// any path): a rule such as kubernetes-secret-yaml (keyword "secret",
	// path *.yaml) cannot match a Go file however often "secret" occurs.
	restPaths []*regexp.Regexp
	// asciiKeywords: every keyword is ASCII, so matching the raw text
	// ignoring ASCII case finds what gitleaks finds in strings.ToLower of
	// it (see lowerAligned). Otherwise keywords are searched in the
	// lowercased text, whose offsets equal raw's only for valid UTF-8.
	asciiKeywords bool
	// restAlways: a rest rule runs on every file (it has no keywords and
	// a regex), so rest cannot be skipped when none of its keywords occur.
	restAlways bool
	// pathOnly holds rest's keyword-less, path-only rules (such as
	// pkcs12-file), which need no text: it runs with an empty fragment
	// when rest is skipped.
	pathOnly *detect.Detector
	// globalPaths are the global allow-lists whose paths skip a file.
	globalPaths []*config.Allowlist
}

type windowRule struct {
	det *detect.Detector // this rule alone, no decoding
	// re is the rule's regex, which must match a window for det to find
	// anything in it: one MatchString is far cheaper than DetectContext's
	// per-call lowercasing, keyword search and logger.
	re    *regexp.Regexp
	shape ruleShape
	// noPath: windows are scanned without their file path, and the path
	// allow-lists (global ones in p.globalPaths, the rule's in paths) are
	// checked once per file instead of once per window, where gitleaks'
	// path regex cost a third of the time. Only when no allow-list
	// combines a path with other conditions (AND): then the path decides
	// nothing but whether the whole file is skipped.
	noPath bool
	paths  []*config.Allowlist
}

// newFastPath splits cfg's rules. full is the detector for cfg itself.
func newFastPath(ctx context.Context, cfg config.Config, full *detect.Detector) *fastPath {
	p := &fastPath{full: full}
	restCfg := subConfig(cfg)
	pathCfg := subConfig(cfg)
	kwIndex := map[string]int{}
	var kws []string
	keyword := func(k string) int {
		i, ok := kwIndex[k]
		if !ok {
			i = len(kws)
			kwIndex[k] = i
			kws = append(kws, k)
			p.kwRules = append(p.kwRules, nil)
			p.kwRest = append(p.kwRest, nil)
		}
		return i
	}
	ids := make([]string, 0, len(cfg.Rules))
	for id := range cfg.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	required := map[string]bool{}
	for _, r := range cfg.Rules {
		for _, req := range r.RequiredRules {
			required[req.RuleID] = true
		}
	}
	for _, id := range ids {
		r := cfg.Rules[id]
		lk := lowerAll(r.Keywords)
		var sh ruleShape
		// A rule another rule requires stays whole-file: gitleaks looks
		// it up among the rules of the detector running the composite.
		if r.Regex != nil && r.Path == nil && len(r.RequiredRules) == 0 && !r.SkipReport && !required[id] {
			sh = shapeOf(r.Regex.String(), lk)
		}
		if !sh.windowed {
			addRule(&restCfg, r)
			switch {
			case len(lk) == 0 && r.Regex == nil:
				addRule(&pathCfg, r)
			case len(lk) == 0:
				p.restAlways = true
			}
			if len(lk) > 0 {
				p.restPaths = append(p.restPaths, r.Path)
			}
			for _, k := range lk {
				i := keyword(k)
				p.kwRest[i] = append(p.kwRest[i], len(p.restPaths)-1)
			}
			continue
		}
		one := subConfig(cfg)
		addRule(&one, r)
		d := detect.NewDetectorContext(ctx, one)
		d.MaxDecodeDepth = 0
		ri := len(p.rules)
		p.rules = append(p.rules, windowRule{det: d, re: r.Regex, shape: sh, noPath: !hasAnd(cfg.Allowlists) && !hasAnd(r.Allowlists), paths: withPaths(r.Allowlists)})
		for _, k := range lk {
			i := keyword(k)
			if !slices.Contains(p.kwRules[i], ri) {
				p.kwRules[i] = append(p.kwRules[i], ri)
			}
		}
	}
	if len(restCfg.Rules) > 0 {
		p.rest = detect.NewDetectorContext(ctx, restCfg)
		p.rest.MaxDecodeDepth = 0
	}
	if len(pathCfg.Rules) > 0 {
		p.pathOnly = detect.NewDetectorContext(ctx, pathCfg)
		p.pathOnly.MaxDecodeDepth = 0
	}
	p.asciiKeywords = !slices.ContainsFunc(kws, func(k string) bool {
		return strings.IndexFunc(k, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0
	})
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
		AsciiCaseInsensitive: true,
		MatchKind:            ahocorasick.StandardMatch, // overlapping iteration needs it
		DFA:                  true,
	})
	p.trie = b.Build(kws)
	p.globalPaths = withPaths(cfg.Allowlists)
	return p
}

func hasAnd(als []*config.Allowlist) bool {
	for _, a := range als {
		if a.MatchCondition == config.AllowlistMatchAnd {
			return true
		}
	}
	return false
}

func withPaths(als []*config.Allowlist) []*config.Allowlist {
	var out []*config.Allowlist
	for _, a := range als {
		if len(a.Paths) > 0 {
			out = append(out, a)
		}
	}
	return out
}

func pathAllowed(als []*config.Allowlist, path string) bool {
	for _, a := range als {
		if a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// subConfig is cfg without rules: the global allowlists stay.
func subConfig(cfg config.Config) config.Config {
	return config.Config{
		Title:       cfg.Title,
		Path:        cfg.Path,
		Description: cfg.Description,
		Rules:       map[string]config.Rule{},
		Keywords:    map[string]struct{}{},
		Allowlists:  cfg.Allowlists,
	}
}

func addRule(cfg *config.Config, r config.Rule) {
	cfg.Rules[r.RuleID] = r
	cfg.OrderedRules = append(cfg.OrderedRules, r.RuleID)
	for _, k := range r.Keywords {
		cfg.Keywords[strings.ToLower(k)] = struct{}{}
	}
}

func lowerAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if l := strings.ToLower(s); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// detect returns the findings of p.full.DetectContext on the whole of raw.
func (p *fastPath) detect(ctx context.Context, raw, path string) []report.Finding {
	whole := detect.Fragment{Raw: raw, FilePath: path, StartLine: 1}
	if mayDecode(raw) {
		return p.full.DetectContext(ctx, whole)
	}
	if !lowerAligned(raw) || !p.asciiKeywords && !utf8.ValidString(raw) {
		// strings.ToLower writes U+FFFD (3 bytes) for an invalid byte.
		return p.full.DetectContext(ctx, whole)
	}
	haystack := raw
	if !p.asciiKeywords {
		haystack = strings.ToLower(raw)
	}
	lines := lineStarts(raw)
	// hitLines[r] lists, in file order, the lines holding r's keywords.
	hitLines := make([][]int, len(p.rules))
	var restKw []bool // the rest rules whose keywords occur
	ln := 0           // the line of the current match
	for it := p.trie.IterOverlapping(haystack); ; {
		m := it.Next()
		if m == nil {
			break
		}
		pat := m.Pattern()
		for _, ri := range p.kwRest[pat] {
			if restKw == nil {
				restKw = make([]bool, len(p.restPaths))
			}
			restKw[ri] = true
		}
		if len(p.kwRules[pat]) == 0 {
			continue
		}
		// Matches come in order of their end, so their starts move
		// back at most a keyword's length: a cursor beats a search.
		for at := m.Start(); ; {
			if ln > 0 && lines[ln] > at {
				ln--
			} else if ln+1 < len(lines) && lines[ln+1] <= at {
				ln++
			} else {
				break
			}
		}
		for _, ri := range p.kwRules[pat] {
			if h := hitLines[ri]; len(h) == 0 || h[len(h)-1] != ln {
				hitLines[ri] = append(h, ln)
			}
		}
	}
	restHit := p.restAlways
	for ri, hit := range restKw {
		if hit && (p.restPaths[ri] == nil || p.restPaths[ri].MatchString(path)) {
			restHit = true
			break
		}
	}
	var out []report.Finding
	switch {
	case p.rest != nil && restHit:
		out = p.rest.DetectContext(ctx, whole)
	case p.pathOnly != nil:
		// No rest rule can match the text: only the path-only rules,
		// whose findings depend on the path alone, remain.
		out = p.pathOnly.DetectContext(ctx, detect.Fragment{FilePath: path, StartLine: 1})
	}
	globalSkip := -1 // unknown
	for ri, hl := range hitLines {
		if len(hl) == 0 {
			continue
		}
		r := &p.rules[ri]
		fpath := path
		if r.noPath {
			if globalSkip < 0 {
				globalSkip = 0
				if pathAllowed(p.globalPaths, path) {
					globalSkip = 1
				}
			}
			if globalSkip == 1 || pathAllowed(r.paths, path) {
				continue
			}
			fpath = ""
		}
		// Keywords overlap (key, api-key), so lines come out of order.
		slices.Sort(hl)
		ws := windowBounds(windows(hl, r.shape, lines, raw), lines, len(raw))
		for _, w := range ws {
			if ctx.Err() != nil {
				return out
			}
			// detectRule would run this regex on the same text first.
			if !r.re.MatchString(raw[w.start:w.end]) {
				continue
			}
			fs := r.det.DetectContext(ctx, detect.Fragment{Raw: raw[w.start:w.end], FilePath: fpath, StartLine: w.first})
			for i := range fs {
				fs[i].File = path
			}
			out = append(out, fs...)
		}
	}
	return preferSpecific(out)
}

// window is a fragment of the file: raw[start:end], whose first line is
// line first (1-based) of the file.
type window struct{ start, end, first int }

// windowBounds turns line ranges into fragments. A fragment starts at the
// '\n' before its first line: gitleaks counts columns from it and puts it
// at the start of a finding's Line (which allowlists may read), except on
// a fragment's first line. No match can include it (see windows).
func windowBounds(ranges [][2]int, lines []int, size int) []window {
	out := make([]window, len(ranges))
	for i, w := range ranges {
		start, end, first := lines[w[0]], size, w[0]+1
		if w[1]+1 < len(lines) {
			end = lines[w[1]+1]
		}
		if start > 0 {
			start--
			first--
		}
		out[i] = window{start, end, first}
	}
	return out
}

// windows turns sorted hit lines into merged [first, last] line ranges that
// hold every match containing a hit (see ruleShape); a window ends with
// its last line's '\n'. After the hit's line, a match reaches line h+j
// only through the '\n' ending line h+j-1, and for j >= 2 only by running
// through all of line h+j-1, which must then be short enough. When that
// '\n' can only be the match's closing byte, the match does not reach into
// line h+j at all and nothing is matched after it, so the window stops
// before h+j; otherwise h+j is included, so that no assertion ($, \b) of a
// match is evaluated at the window's end, where the text differs from the
// file. Before the hit the window covers the newlines the rule allows, and
// one line more when the rule uses \A (true at a window's start, false at a
// line start).
func windows(hits []int, sh ruleShape, lines []int, raw string) [][2]int {
	nLines, size := len(lines), len(raw)
	unterminated := size > 0 && raw[size-1] != '\n'
	lineLen := func(i int) int {
		if i+1 < nLines {
			return lines[i+1] - 1 - lines[i]
		}
		return size - lines[i]
	}
	var out [][2]int
	for _, h := range hits {
		a, b := 0, h
		if sh.before != unbounded {
			a = h - sh.before
			if sh.beginText {
				a--
			}
			a = max(0, a)
		}
		limit := sh.after
		if sh.closing {
			limit = sh.afterOpen
		}
		for j := 1; (limit == unbounded || j <= limit) && h+j < nLines; j++ {
			if j >= 2 && lineLen(h+j-1) > sh.line {
				break
			}
			b = h + j
		}
		if b == nLines-1 && unterminated {
			// gitleaks' Line for a match on a last line without '\n' runs
			// from the fragment's start (detect.location leaves
			// startLineIndex at 0), and gitleaks:allow and allowlists
			// read it: such a window must start with the file.
			out = append(out[:0], [2]int{0, b})
			continue
		}
		if n := len(out); n > 0 && a <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], b)
			continue
		}
		out = append(out, [2]int{a, b})
	}
	return out
}

// lineStarts lists the byte offset at which each line starts.
func lineStarts(s string) []int {
	starts := make([]int, 1, len(s)/32+1)
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return starts
		}
		i += j + 1
		starts = append(starts, i)
	}
}

// preferSpecific drops a generic rule's finding when a specific rule found
// a secret containing it on the same line. gitleaks does this in its
// unexported detect.filter after running all rules on a fragment; the fast
// path runs rules on different fragments, so it repeats the step here over
// all of a file's findings.
func preferSpecific(fs []report.Finding) []report.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		drop := false
		if strings.Contains(strings.ToLower(f.RuleID), "generic") {
			for _, g := range fs {
				if f.StartLine == g.StartLine && f.Commit == g.Commit && f.RuleID != g.RuleID &&
					strings.Contains(g.Secret, f.Secret) && !strings.Contains(strings.ToLower(g.RuleID), "generic") {
					drop = true
					break
				}
			}
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}

// lowerAligned reports whether every valid rune of s lowercases to a rune
// of the same length and s holds no rune that a case-insensitive regex
// matches as an ASCII letter but that does not lowercase to one (the long
// s): otherwise keyword hits would not line up with regex matches. The
// ASCII bytes of strings.ToLower(s), in which gitleaks finds keywords, are
// then those of s lowercased, at the same offsets counted from the start or
// from any ASCII byte, so ASCII keywords are found in s by ignoring ASCII
// case. (An invalid byte becomes the 3-byte U+FFFD, which moves later
// offsets: non-ASCII keywords need valid UTF-8 as well.)
func lowerAligned(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return lowerAlignedRunes(s[i:])
		}
	}
	return true
}

func lowerAlignedRunes(s string) bool {
	for _, r := range s {
		l := unicode.ToLower(r)
		if utf8.RuneLen(l) != utf8.RuneLen(r) || r >= utf8.RuneSelf && asciiFold(r) != r {
			return false
		}
	}
	return true
}

// mayDecode reports whether gitleaks' decoding pass could decode anything
// in s. It is a cheap superset of the matches of gitleaks' encoding
// patterns (codec/encodings.go: percent %XX, unicode U+XXXX and \uXXXX, hex
// runs of 32+, base64 runs of 16+ [\w/+-] that decode to printable ASCII);
// when it is false, gitleaks' decoding loop stops after finding nothing,
// so its result is that of the undecoded pass alone.
func mayDecode(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				return true
			}
		case c == '\\':
			if i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
				return true
			}
		case c == 'U' && i+1 < len(s) && s[i+1] == '+':
			return true
		case isB64(c):
			j := i
			for j < len(s) && isB64(s[j]) {
				j++
			}
			if j-i >= 16 && b64Candidate(s, i, j) {
				return true
			}
			i = j - 1
		}
	}
	return false
}

// b64Candidate checks one maximal run s[i:j] of [\w/+-].
func b64Candidate(s string, i, j int) bool {
	run, hex := 0, 0
	likely := false
	for k := i; k < j; k++ {
		c := s[k]
		if isHex(c) {
			run++
			hex = max(hex, run)
		} else {
			run = 0
		}
		if c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' {
			likely = true
		}
	}
	if hex >= 32 {
		return true
	}
	if !likely {
		return false
	}
	// gitleaks' base64 pattern also takes up to two '=' after the run.
	e := j
	for e < len(s) && e < j+2 && s[e] == '=' {
		e++
	}
	v := s[i:e]
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil && printable(b) {
			return true
		}
	}
	return false
}

// printable is gitleaks' test for decoded text: bytes 0x09 to 0x7e.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x09 || c > 0x7e {
			return false
		}
	}
	return true
}

// byteClass flags, looked up per byte: mayDecode reads every byte of a file.
const (
	classHex = 1 << iota
	classB64
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= classHex
		}
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '/' || b == '+' || b == '-' {
			t[c] |= classB64
		}
	}
	return t
}()

func isHex(c byte) bool { return byteClass[c]&classHex != 0 }

func isB64(c byte) bool { return byteClass[c]&classB64 != 0 }
