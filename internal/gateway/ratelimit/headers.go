package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/dunglas/httpsfv"
)

// WriteHeaders adds d's rule to the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-11 (May 2026), in their structured
// field (RFC 9651) form:
//
//	RateLimit-Policy: "per-ip";q=100;w=60
//	RateLimit: "per-ip";r=0;t=12
//
// q is the rule's Rate, w its Period in seconds, r the requests left right
// now and t the seconds until the key is back to a full burst. Both fields
// are lists, so a request under several rules gets one member per rule
// (added as separate field lines, which RFC 9110 section 5.3 makes
// equivalent to one comma-joined line). A refused decision also sets
// Retry-After (RFC 9110 section 10.2.3) in whole seconds, rounded up and at
// least 1, keeping the largest value when several rules refuse. The
// partition key ("pk") is left out: it would echo the client's key.
func WriteHeaders(h http.Header, d Decision) {
	if d.Rule == nil {
		return
	}
	policy := httpsfv.NewItem(d.Rule.Name)
	policy.Params.Add("q", int64(d.Limit))
	policy.Params.Add("w", ceilSeconds(d.Rule.Period))
	current := httpsfv.NewItem(d.Rule.Name)
	current.Params.Add("r", int64(max(d.Remaining, 0)))
	current.Params.Add("t", ceilSeconds(d.ResetAfter))
	// Marshal fails only for a name that is not a valid sf-string, which
	// Rule.Validate rules out; skip the field rather than send a bad one.
	if v, err := httpsfv.Marshal(httpsfv.List{policy}); err == nil {
		h.Add("RateLimit-Policy", v)
	}
	if v, err := httpsfv.Marshal(httpsfv.List{current}); err == nil {
		h.Add("RateLimit", v)
	}
	if !d.Allowed {
		secs := max(ceilSeconds(d.RetryAfter), 1)
		if old, err := strconv.ParseInt(h.Get("Retry-After"), 10, 64); err == nil && old > secs {
			secs = old
		}
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}
