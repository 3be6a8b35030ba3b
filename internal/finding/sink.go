package finding

import (
	"cmp"
	"context"
	"slices"
)

// Sink receives findings: a report, a store, a webhook.
type Sink interface {
	Emit(ctx context.Context, items ...Finding) error
}

// Sort orders findings by path, line, severity (most severe first) and rule,
// so that every output is deterministic. Findings alike in all of those are
// told apart by field, message, resource and fingerprint, so the order never
// depends on the order of the input.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.StartLine, b.Location.StartLine),
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Location.Field, b.Location.Field),
			cmp.Compare(a.Message, b.Message),
			cmp.Compare(a.Resource.String(), b.Resource.String()),
			cmp.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
}
