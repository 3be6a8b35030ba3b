package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// OnBackendError says how requests are decided while the shared backend
// (Redis) fails or its breaker is open.
type OnBackendError int

const (
	// FallbackLocal decides with this process's in-memory limiter: each
	// gateway enforces the limit alone, so N gateways admit up to N times
	// the limit for a key until the backend is back. The default.
	FallbackLocal OnBackendError = iota
	// FallbackAllow admits every request (availability over protection).
	FallbackAllow
	// FallbackDeny refuses every request the rule applies to (fail closed).
	FallbackDeny
)

func (o OnBackendError) String() string {
	switch o {
	case FallbackAllow:
		return "allow"
	case FallbackDeny:
		return "deny"
	}
	return "local"
}

// ParseOnBackendError reads on_backend_error: local (or empty), allow, deny.
func ParseOnBackendError(s string) (OnBackendError, error) {
	switch s {
	case "", "local":
		return FallbackLocal, nil
	case "allow":
		return FallbackAllow, nil
	case "deny":
		return FallbackDeny, nil
	}
	return FallbackLocal, fmt.Errorf("%w: on_backend_error %q: want local, allow or deny", ErrInvalidBackend, s)
}

// FallbackOptions configures Fallback.
type FallbackOptions struct {
	OnError OnBackendError
	// Local decides while the backend is down; nil builds a default one.
	Local *Local
	// FailuresToOpen consecutive backend errors open the breaker; default 3.
	FailuresToOpen uint32
	// OpenFor is how long the breaker stays open before one trial request
	// goes to the backend again; default 5s.
	OpenFor time.Duration
	Logger  *slog.Logger
}

// Fallback puts a circuit breaker (sony/gobreaker) in front of a shared
// backend and decides by OnError when the backend fails. An open breaker
// answers at once, so a dead Redis costs FailuresToOpen timeouts and then
// nothing until the next trial.
type Fallback struct {
	remote    MultiLimiter
	local     *Local
	onError   OnBackendError
	cb        *gobreaker.CircuitBreaker[[]Decision]
	log       *slog.Logger
	errors    atomic.Uint64
	fallbacks atomic.Uint64
	lastLog   atomic.Int64 // unix nanos of the last per-error log line
}

var _ MultiLimiter = (*Fallback)(nil)

// NewFallback wraps remote (usually *Redis).
func NewFallback(remote MultiLimiter, opts FallbackOptions) *Fallback {
	f := &Fallback{remote: remote, local: opts.Local, onError: opts.OnError, log: opts.Logger}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.local == nil {
		f.local = NewLocal(LocalOptions{Logger: f.log})
	}
	failures := opts.FailuresToOpen
	if failures == 0 {
		failures = 3
	}
	openFor := opts.OpenFor
	if openFor <= 0 {
		openFor = 5 * time.Second
	}
	f.cb = gobreaker.NewCircuitBreaker[[]Decision](gobreaker.Settings{
		Name:        "ratelimit-backend",
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		// A client that went away is not the backend's fault.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateClosed {
				f.log.Info("rate limit backend is back, shared limits in force", "breaker", to.String(), "was", from.String())
				return
			}
			f.log.Warn("rate limit backend unavailable", "breaker", to.String(), "was", from.String(), "on_backend_error", f.onError.String())
		},
	})
	return f
}

// Allow decides one request through the backend or the fallback policy.
func (f *Fallback) Allow(ctx context.Context, rule *Rule, key string, now time.Time) (Decision, error) {
	ds, err := f.AllowMany(ctx, []Hit{{Rule: rule, Key: key}}, now)
	if err != nil {
		return Decision{}, err
	}
	return ds[0], nil
}

// AllowMany decides every hit of a request. It fails only when ctx is done;
// backend errors are absorbed by the OnError policy.
func (f *Fallback) AllowMany(ctx context.Context, hits []Hit, now time.Time) ([]Decision, error) {
	ds, err := f.cb.Execute(func() ([]Decision, error) { return f.remote.AllowMany(ctx, hits, now) })
	if err == nil {
		return ds, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	if !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
		f.errors.Add(1)
		f.logError(err, now)
	}
	f.fallbacks.Add(1)
	switch f.onError {
	case FallbackAllow:
		ds = make([]Decision, len(hits))
		for i, h := range hits {
			ds[i] = Decision{Allowed: true, Limit: h.Rule.Rate, Remaining: h.Rule.burst(), Rule: h.Rule}
		}
	case FallbackDeny:
		ds = make([]Decision, len(hits))
		for i, h := range hits {
			ds[i] = Decision{Limit: h.Rule.Rate, RetryAfter: time.Second, ResetAfter: time.Second, Rule: h.Rule}
		}
	default:
		ds, _ = f.local.AllowMany(ctx, hits, now)
	}
	return ds, nil
}

// logError logs a backend error at most once every 10 seconds; the counter
// in State has them all.
func (f *Fallback) logError(err error, now time.Time) {
	last := f.lastLog.Load()
	if n := now.UnixNano(); n-last >= int64(10*time.Second) && f.lastLog.CompareAndSwap(last, n) {
		f.log.Warn("rate limit backend error", "err", err, "on_backend_error", f.onError.String(), "errors_total", f.errors.Load())
	}
}

// BackendState is what metrics and health checks show about the backend.
type BackendState struct {
	// Breaker is "closed" (healthy), "half-open" (one trial in flight) or
	// "open" (backend skipped, every decision by OnError).
	Breaker string
	// Healthy is true while the breaker is closed.
	Healthy bool
	// Errors counts backend calls that failed.
	Errors uint64
	// Fallbacks counts requests decided by OnError instead of the backend.
	Fallbacks uint64
	OnError   string
}

// State reports the backend's health now.
func (f *Fallback) State() BackendState {
	st := f.cb.State()
	return BackendState{
		Breaker:   st.String(),
		Healthy:   st == gobreaker.StateClosed,
		Errors:    f.errors.Load(),
		Fallbacks: f.fallbacks.Load(),
		OnError:   f.onError.String(),
	}
}

// Local is the limiter used while the backend is down.
func (f *Fallback) Local() *Local { return f.local }
