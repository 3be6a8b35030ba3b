package ahocorasick

import (
	"math/rand/v2"
	"strings"
	"testing"

	petar "github.com/petar-dambovaliev/aho-corasick"
)

func foldASCII(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower[b[i]]
	}
	return string(b)
}

// naiveContains and naiveLeftmostLongest are the definitions the automaton
// must agree with.
func naiveContains(patterns []string, text string, fold bool) bool {
	if fold {
		text = foldASCII(text)
	}
	for _, p := range patterns {
		if fold {
			p = foldASCII(p)
		}
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

func naiveLeftmostLongest(patterns []string, text string, fold bool) [][2]int {
	t := text
	if fold {
		t = foldASCII(text)
	}
	var out [][2]int
	for from := 0; from < len(t); {
		found := false
		for start := from; start < len(t) && !found; start++ {
			longest := -1
			for _, p := range patterns {
				if fold {
					p = foldASCII(p)
				}
				if strings.HasPrefix(t[start:], p) && len(p) > longest {
					longest = len(p)
				}
			}
			if longest > 0 {
				out = append(out, [2]int{start, start + longest})
				from, found = start+longest, true
			}
		}
		if !found {
			break
		}
	}
	return out
}

func spans(m *Matcher, text string) [][2]int {
	var out [][2]int
	m.LeftmostLongest(text, func(mt Match) bool {
		out = append(out, [2]int{mt.Start, mt.End})
		return true
	})
	return out
}

func equalSpans(a, b [][2]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		fold     bool
		text     string
		contains bool
		spans    [][2]int
	}{
		{"none", []string{"he", "she"}, false, "xyz", false, nil},
		{"suffix through failure", []string{"he", "she", "his", "hers"}, false, "ushers", true, [][2]int{{1, 4}}},
		{"longest at the same start", []string{"a", "ab", "abc"}, false, "xabcab", true, [][2]int{{1, 4}, {4, 6}}},
		{"leftmost beats longer later", []string{"bcd", "abc"}, false, "abcd", true, [][2]int{{0, 3}}},
		{"non-overlapping", []string{"aa"}, false, "aaaaa", true, [][2]int{{0, 2}, {2, 4}}},
		{"fold", []string{"SeLeCt"}, true, "1 union SELECT 2", true, [][2]int{{8, 14}}},
		{"no fold", []string{"select"}, false, "SELECT", false, nil},
		{"fold only ASCII", []string{"é"}, true, "É", false, nil},
		{"shorter than any pattern", []string{"abc"}, false, "ab", false, nil},
		{"duplicates", []string{"ab", "AB"}, true, "aB", true, [][2]int{{0, 2}}},
		{"output on failure chain", []string{"abcd", "bc"}, false, "abce", true, [][2]int{{1, 3}}},
		{"binary bytes", []string{"\x00\xff"}, false, "a\x00\xffb", true, [][2]int{{1, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.patterns, tt.fold)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Contains(tt.text); got != tt.contains {
				t.Errorf("Contains(%q) = %v, want %v", tt.text, got, tt.contains)
			}
			if got := spans(m, tt.text); !equalSpans(got, tt.spans) {
				t.Errorf("LeftmostLongest(%q) = %v, want %v", tt.text, got, tt.spans)
			}
		})
	}
}

func TestEmptyPatternRejected(t *testing.T) {
	if _, err := New([]string{"a", ""}, false); err == nil || !strings.Contains(err.Error(), "pattern 1 is empty") {
		t.Fatalf("New with an empty pattern: err = %v", err)
	}
}

func TestLeftmostLongestStops(t *testing.T) {
	m, err := New([]string{"ab"}, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	m.LeftmostLongest("ababab", func(Match) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("fn called %d times after returning false at 2", n)
	}
}

// randomCase draws patterns and a text over a small alphabet, so that
// overlaps, shared prefixes and failure chains are common.
func randomCase(r *rand.Rand) ([]string, string) {
	const alpha = "abcAB\x00é"
	word := func(maxLen int) string {
		var b strings.Builder
		for range 1 + r.IntN(maxLen) {
			b.WriteByte(alpha[r.IntN(len(alpha))])
		}
		return b.String()
	}
	patterns := make([]string, 1+r.IntN(12))
	for i := range patterns {
		patterns[i] = word(5)
	}
	return patterns, word(40)
}

// TestAgainstNaive compares both searches with their definitions.
func TestAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		patterns, text := randomCase(r)
		fold := i%2 == 0
		m, err := New(patterns, fold)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Contains(text), naiveContains(patterns, text, fold); got != want {
			t.Fatalf("Contains(%q) over %q (fold %v) = %v, want %v", text, patterns, fold, got, want)
		}
		if got, want := spans(m, text), naiveLeftmostLongest(patterns, text, fold); !equalSpans(got, want) {
			t.Fatalf("LeftmostLongest(%q) over %q (fold %v) = %v, want %v", text, patterns, fold, got, want)
		}
	}
}

// TestAgainstCorazaLibrary compares with the library Coraza's @pm uses,
// configured as Coraza configures it. Only the first occurrence is
// compared: after it, that library's iterator sometimes reports an
// occurrence inside the previous one ([7 10] then [8 9]), which the
// non-overlapping semantics exclude and TestAgainstNaive checks.
func TestAgainstCorazaLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		patterns, text := randomCase(r)
		lowered := make([]string, len(patterns))
		for i, p := range patterns {
			lowered[i] = strings.ToLower(p) // what Coraza does before building
		}
		builder := petar.NewAhoCorasickBuilder(petar.Opts{AsciiCaseInsensitive: true, MatchKind: petar.LeftMostLongestMatch, DFA: i%2 == 0})
		ref := builder.Build(lowered)
		var want [][2]int
		if mt := ref.Iter(text).Next(); mt != nil {
			want = append(want, [2]int{mt.Start(), mt.End()})
		}
		m, err := New(lowered, true)
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]int
		m.LeftmostLongest(text, func(mt Match) bool {
			got = append(got, [2]int{mt.Start, mt.End})
			return false
		})
		if !equalSpans(got, want) {
			t.Fatalf("first leftmost-longest in %q over %q = %v, petar = %v", text, lowered, got, want)
		}
	}
}

func FuzzMatcher(f *testing.F) {
	f.Add("he\nshe\nhis\nhers", "ushers", true)
	f.Add("a\naa\naaa", "aaaaaaa", false)
	f.Fuzz(func(t *testing.T, list, text string, fold bool) {
		if len(list) > 200 || len(text) > 400 {
			return
		}
		var patterns []string
		for _, p := range strings.Split(list, "\n") {
			if p != "" {
				patterns = append(patterns, p)
			}
		}
		if len(patterns) == 0 {
			return
		}
		m, err := New(patterns, fold)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Contains(text), naiveContains(patterns, text, fold); got != want {
			t.Fatalf("Contains = %v, want %v", got, want)
		}
		if got, want := spans(m, text), naiveLeftmostLongest(patterns, text, fold); !equalSpans(got, want) {
			t.Fatalf("LeftmostLongest = %v, want %v", got, want)
		}
	})
}

func BenchmarkContains(b *testing.B) {
	words := strings.Fields("select union insert update delete drop exec script alert onerror onload iframe javascript vbscript eval expression document cookie window location")
	m, err := New(words, true)
	if err != nil {
		b.Fatal(err)
	}
	builder := petar.NewAhoCorasickBuilder(petar.Opts{AsciiCaseInsensitive: true})
	ref := builder.Build(words)
	text := strings.Repeat("Hello team, I placed an order last week and would like to know when it will ship. ", 4)
	b.Run("rampart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m.Contains(text) {
				b.Fatal("match")
			}
		}
	})
	b.Run("petar", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ref.Iter(text).Next() != nil {
				b.Fatal("match")
			}
		}
	})
}
