// Package ratelimit limits requests per key (client IP, TLS fingerprint,
// header, cookie, query parameter, verified JWT claim, or a combination) with
// the generic cell rate algorithm (GCRA), in memory or in Redis shared by
// several gateway processes.
//
// GCRA keeps one timestamp per key, the theoretical arrival time (TAT), so a
// decision is O(1) in time and memory whatever the rate. The semantics are in
// docs/rate-limiting.md and on Rule.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Action says what the gateway does with a request over the limit.
type Action int

const (
	// Block answers 429 Too Many Requests.
	Block Action = iota
	// Log lets the request through and records a security event.
	Log
)

func (a Action) String() string {
	if a == Log {
		return "log"
	}
	return "block"
}

// ParseAction reads "block" or "log"; an empty string is Block.
func ParseAction(s string) (Action, error) {
	switch s {
	case "", "block":
		return Block, nil
	case "log":
		return Log, nil
	}
	return Block, fmt.Errorf("action %q: want block or log", s)
}

// Rule is one limit. With T = Period/Rate (the emission interval) and
// B = max(Burst, 1), a request at time now is admitted when
//
//	max(TAT, now) + T - now <= B*T
//
// and then TAT becomes max(TAT, now) + T. So B requests pass back to back
// from an idle key, the B+1st is refused, and afterwards one request per T
// is admitted: over any window of length w at most B + w/T requests pass.
// Burst is therefore the number of requests allowed above the steady rate.
//
// Example: Rate 100, Period 1m, Burst 20 gives T = 600ms: 20 rapid requests
// pass, the 21st is refused with Retry-After 1 (600ms rounded up), and one
// more request is admitted every 600ms after that.
type Rule struct {
	Name   string
	Key    KeySpec
	Rate   int
	Period time.Duration
	Burst  int
	Action Action
	// MitigationTimeout keeps refusing a key for this long after its first
	// refused request, whatever its rate afterwards. Zero disables it.
	MitigationTimeout time.Duration
}

// ruleName is what RateLimit-Policy can carry as a quoted string without
// escaping and what a metric label or log attribute can hold safely.
var ruleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// ErrInvalidRule is wrapped by every Validate error.
var ErrInvalidRule = errors.New("invalid rate limit rule")

// Validate reports the first problem with r, naming the rule and the field.
func (r *Rule) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidRule, r.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !ruleName.MatchString(r.Name):
		return bad("name: want 1-64 characters of letters, digits, _ . : - starting with a letter or digit")
	case len(r.Key.parts) == 0:
		return bad("key: missing")
	case r.Rate < 1:
		return bad("rate %d: want at least 1", r.Rate)
	case r.Period <= 0:
		return bad("period %s: want more than 0", r.Period)
	case r.Burst < 0:
		return bad("burst %d: want 0 or more", r.Burst)
	case r.MitigationTimeout < 0:
		return bad("mitigation_timeout %s: want 0 or more", r.MitigationTimeout)
	case r.Action != Block && r.Action != Log:
		return bad("action %d: want block or log", r.Action)
	}
	// The Redis script counts in microseconds: an interval below that
	// would round to zero and admit everything.
	if r.interval() < time.Microsecond {
		return bad("rate %d per %s: more than one request per microsecond", r.Rate, r.Period)
	}
	if r.tolerance()/time.Duration(r.burst()) != r.interval() {
		return bad("burst %d: too large for period %s", r.Burst, r.Period)
	}
	return nil
}

// interval is T, the emission interval. Integer division may make it up to
// 1ns shorter than the exact quotient, so the rate is at most that much fast.
func (r *Rule) interval() time.Duration { return r.Period / time.Duration(r.Rate) }

// burst is B: a burst of 0 means no tolerance beyond one request per T.
func (r *Rule) burst() int { return max(r.Burst, 1) }

// tolerance is B*T, how far ahead of now a key's TAT may run.
func (r *Rule) tolerance() time.Duration { return time.Duration(r.burst()) * r.interval() }

// Decision is the outcome for one request under one rule.
type Decision struct {
	Allowed bool
	// Limit is the rule's quota per period (its Rate), as advertised in
	// RateLimit-Policy.
	Limit int
	// Remaining is how many more requests would be admitted right now.
	Remaining int
	// RetryAfter is how long until a refused request would be admitted
	// (at least the remaining mitigation timeout); zero when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back to a full burst.
	ResetAfter time.Duration
	Rule       *Rule
}

// Limiter decides one request of one key under one rule. now is the
// caller's clock; a backend with its own shared clock (Redis) may use that
// instead and says so.
type Limiter interface {
	Allow(ctx context.Context, rule *Rule, key string, now time.Time) (Decision, error)
}

// Hit is one (rule, key) pair of a request.
type Hit struct {
	Rule *Rule
	Key  string
}

// MultiLimiter decides several rules of one request at once (Redis sends
// them in one pipeline). Decisions are in the order of hits.
type MultiLimiter interface {
	Limiter
	AllowMany(ctx context.Context, hits []Hit, now time.Time) ([]Decision, error)
}
