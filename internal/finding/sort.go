package finding

import (
	"cmp"
	"sort"
	"strings"
)

// Sort orders findings by path, line, severity (most severe first) and rule,
// so that every output is deterministic. Findings alike in all of those are
// told apart by field, message, resource and fingerprint, so the order never
// depends on the order of the input.
func Sort(fs []Finding) {
	// By index and pointer: a Finding is a few hundred bytes, and a large
	// scan sorts a hundred thousand of them.
	sort.SliceStable(fs, func(i, j int) bool { return compare(&fs[i], &fs[j]) < 0 })
}

// compare stops at the first difference; the later keys are rarely needed.
func compare(a, b *Finding) int {
	if c := strings.Compare(a.Location.Path, b.Location.Path); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.StartLine, b.Location.StartLine); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Location.Field, b.Location.Field); c != 0 {
		return c
	}
	if c := strings.Compare(a.Message, b.Message); c != 0 {
		return c
	}
	if c := strings.Compare(a.Resource.String(), b.Resource.String()); c != 0 {
		return c
	}
	return strings.Compare(a.Fingerprint, b.Fingerprint)
}
