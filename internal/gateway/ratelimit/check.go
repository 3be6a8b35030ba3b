package ratelimit

import (
	"context"
	"time"
)

// Hits returns the rules that apply to ri with their keys; a rule whose key
// has a missing part (no such header, no verified claim) is left out.
func Hits(rules []*Rule, ri *RequestInfo) []Hit {
	hits := make([]Hit, 0, len(rules))
	for _, r := range rules {
		if key, ok := r.Key.Value(ri); ok {
			hits = append(hits, Hit{Rule: r, Key: key})
		}
	}
	return hits
}

// Check decides every rule that applies to ri, in one call when l is a
// MultiLimiter (one Redis pipeline), and returns the decisions in rule
// order. Every applying rule is charged, even after one refuses, so the
// outcome does not depend on the rules' order.
func Check(ctx context.Context, l Limiter, rules []*Rule, ri *RequestInfo, now time.Time) ([]Decision, error) {
	hits := Hits(rules, ri)
	if len(hits) == 0 {
		return nil, nil
	}
	if m, ok := l.(MultiLimiter); ok {
		return m.AllowMany(ctx, hits, now)
	}
	out := make([]Decision, len(hits))
	for i, h := range hits {
		d, err := l.Allow(ctx, h.Rule, h.Key, now)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// Blocking returns the refused decision of a Block rule with the longest
// RetryAfter, or false when every Block rule allowed the request. Refusals
// of Log rules are for the security event, not the response.
func Blocking(ds []Decision) (Decision, bool) {
	var worst Decision
	found := false
	for _, d := range ds {
		if d.Allowed || d.Rule == nil || d.Rule.Action != Block {
			continue
		}
		if !found || d.RetryAfter > worst.RetryAfter {
			worst, found = d, true
		}
	}
	return worst, found
}
