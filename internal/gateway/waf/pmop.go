package waf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"

	"github.com/rampart-sec/rampart/internal/ahocorasick"
)

// pmOperator is Rampart's @pm and @pmFromFile (alias @pmf): Coraza's
// semantics (phrases compared ASCII-case-insensitively; when the rule
// captures, up to ten non-overlapping leftmost-longest occurrences go to
// TX.0-TX.9) on Rampart's automaton, which allocates nothing per evaluation
// and holds the CRS's phrase lists in a fraction of the memory: the library
// Coraza's operators use kept 11 MB of the 19 MB live heap with the CRS.
//
// One difference: an empty phrase (two spaces in a row in @pm's argument)
// is ignored, where Coraza's would match every value.
type pmOperator struct {
	m *ahocorasick.Matcher
}

var _ plugintypes.Operator = (*pmOperator)(nil)

// maxCaptures is Coraza's: TX.0 to TX.9.
const maxCaptures = 10

// Evaluate leaves the shortest-phrase check to the matcher, which makes it
// before scanning.
func (o *pmOperator) Evaluate(tx plugintypes.TransactionState, value string) bool {
	if !tx.Capturing() {
		return o.m.Contains(value)
	}
	n := 0
	o.m.LeftmostLongest(value, func(mt ahocorasick.Match) bool {
		tx.CaptureField(n, value[mt.Start:mt.End])
		n++
		return n < maxCaptures
	})
	return n > 0
}

func newPMOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	data := strings.ToLower(opts.Arguments)
	m, err := memoize(opts.Memoizer, "rampart-pm:"+data, func() (any, error) {
		return newPhraseMatcher(strings.Split(data, " "))
	})
	if err != nil {
		return nil, fmt.Errorf("@pm %q: %w", opts.Arguments, err)
	}
	return &pmOperator{m: m.(*ahocorasick.Matcher)}, nil
}

func newPMFromFileOperator(opts plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	name := opts.Arguments
	m, err := memoize(opts.Memoizer, "rampart-pmf:"+strings.Join(opts.Path, ",")+name, func() (any, error) {
		data, err := readDataFile(opts.Root, opts.Path, name)
		if err != nil {
			return nil, err
		}
		// One phrase per line; blank lines and # comments skipped.
		var phrases []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l != "" && l[0] != '#' {
				phrases = append(phrases, strings.ToLower(l))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return newPhraseMatcher(phrases)
	})
	if err != nil {
		return nil, fmt.Errorf("@pmFromFile %s: %w", name, err)
	}
	return &pmOperator{m: m.(*ahocorasick.Matcher)}, nil
}

// newPhraseMatcher builds the automaton for the non-empty phrases.
func newPhraseMatcher(phrases []string) (*ahocorasick.Matcher, error) {
	kept := phrases[:0:0]
	for _, p := range phrases {
		if p != "" {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return nil, errors.New("no phrases")
	}
	return ahocorasick.New(kept, true)
}

// readDataFile resolves a data file as Coraza does: an absolute name in
// root, otherwise the first of dirs (the including files' directories) that
// has it.
func readDataFile(root fs.FS, dirs []string, name string) ([]byte, error) {
	if path.IsAbs(name) {
		return fs.ReadFile(root, name)
	}
	if len(dirs) == 0 {
		return nil, errors.New("no directory to resolve it from")
	}
	var err error
	for _, d := range dirs {
		var data []byte
		data, err = fs.ReadFile(root, path.Join(d, name))
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}
