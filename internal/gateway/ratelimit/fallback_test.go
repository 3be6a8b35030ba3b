package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// TestFallbackDeadRedis: with Redis on a closed port the local limiter
// decides, the breaker opens after FailuresToOpen errors and stops calling
// Redis, and the state, the metrics and the log say so.
func TestFallbackDeadRedis(t *testing.T) {
	client, err := NewRedisClient(RedisConfig{Addresses: []string{closedAddr(t)}, Timeout: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	f := NewFallback(NewRedis(client, RedisOptions{Logger: log}), FallbackOptions{FailuresToOpen: 2, OpenFor: time.Hour, Logger: log})
	rule := &Rule{Name: "per-ip", Key: mustKey(t, "ip"), Rate: 5, Period: time.Hour, Burst: 5}
	now := time.Unix(1_800_000_000, 0)
	allowed := 0
	for range 10 {
		d, err := f.Allow(context.Background(), rule, "192.0.2.1", now)
		if err != nil {
			t.Fatalf("Allow: %v, want the local limiter to answer", err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 5 {
		t.Errorf("allowed %d, want 5 (the local limiter enforces the rule)", allowed)
	}
	got := f.State()
	want := BackendState{Breaker: "open", Healthy: false, Errors: 2, Fallbacks: 10, OnError: "local"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("State (-got +want):\n%s", diff)
	}
	if !strings.Contains(logs.String(), `msg="rate limit backend unavailable" breaker=open was=closed on_backend_error=local`) {
		t.Errorf("log does not say the backend is unavailable:\n%s", logs.String())
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewMetrics(nil, f))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	gotMetrics := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			gotMetrics[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	wantMetrics := map[string]float64{
		"rampart_ratelimit_backend_up":                                       0,
		"rampart_ratelimit_backend_breaker_state{state=closed}":              0,
		"rampart_ratelimit_backend_breaker_state{state=half-open}":           0,
		"rampart_ratelimit_backend_breaker_state{state=open}":                1,
		"rampart_ratelimit_backend_errors_total":                             2,
		"rampart_ratelimit_fallback_decisions_total{on_backend_error=local}": 10,
		"rampart_ratelimit_local_keys":                                       1,
		"rampart_ratelimit_local_evictions_total{live=true}":                 0,
		"rampart_ratelimit_local_evictions_total{live=false}":                0,
	}
	if diff := cmp.Diff(gotMetrics, wantMetrics); diff != "" {
		t.Errorf("metrics (-got +want):\n%s", diff)
	}
}

// flaky fails while down is set.
type flaky struct {
	down  bool
	local *Local
}

var errDown = errors.New("backend down")

func (f *flaky) Allow(ctx context.Context, r *Rule, k string, now time.Time) (Decision, error) {
	if f.down {
		return Decision{}, errDown
	}
	return f.local.Allow(ctx, r, k, now)
}

func (f *flaky) AllowMany(ctx context.Context, hits []Hit, now time.Time) ([]Decision, error) {
	if f.down {
		return nil, errDown
	}
	return f.local.AllowMany(ctx, hits, now)
}

func TestFallbackPolicies(t *testing.T) {
	rule := &Rule{Name: "r", Key: mustKey(t, "ip"), Rate: 1, Period: time.Hour}
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		policy string
		want   []bool
	}{
		{"local", []bool{true, false, false}},
		{"allow", []bool{true, true, true}},
		{"deny", []bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			p, err := ParseOnBackendError(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			f := NewFallback(&flaky{down: true}, FallbackOptions{OnError: p, FailuresToOpen: 1, OpenFor: time.Hour})
			var got []bool
			for range 3 {
				d, err := f.Allow(context.Background(), rule, "k", now)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, d.Allowed)
				if !d.Allowed && d.RetryAfter <= 0 {
					t.Errorf("refused with RetryAfter %s, want > 0", d.RetryAfter)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("allowed (-got +want):\n%s", diff)
			}
		})
	}
	if _, err := ParseOnBackendError("open"); err == nil {
		t.Error(`ParseOnBackendError("open") = nil error`)
	}
}

// TestFallbackRecovers: after OpenFor the breaker lets one trial through and
// closes when the backend answers again.
func TestFallbackRecovers(t *testing.T) {
	backend := &flaky{down: true, local: NewLocal(LocalOptions{})}
	// OpenFor is long enough that the breaker is still open when State is
	// read right after the failure, even on a slow machine under -race
	// (with 1 ms it was once already half-open), and short enough to poll.
	f := NewFallback(backend, FallbackOptions{FailuresToOpen: 1, OpenFor: 250 * time.Millisecond})
	rule := &Rule{Name: "r", Key: mustKey(t, "ip"), Rate: 10, Period: time.Second}
	now := time.Unix(1_800_000_000, 0)
	f.Allow(context.Background(), rule, "k", now)
	if got := f.State().Breaker; got != "open" {
		t.Fatalf("breaker %s after a failure, want open", got)
	}
	backend.down = false
	// The breaker's own clock decides when the trial is allowed; poll
	// (bounded) rather than assume a duration.
	for i := 0; f.State().Breaker != "closed" && i < 1000; i++ {
		time.Sleep(2 * time.Millisecond)
		f.Allow(context.Background(), rule, "k", now)
	}
	if got := f.State(); !got.Healthy || got.Breaker != "closed" {
		t.Errorf("state %+v, want closed and healthy after the backend returned", got)
	}
}

func TestFallbackCanceledContext(t *testing.T) {
	backend := &flaky{local: NewLocal(LocalOptions{})}
	f := NewFallback(ctxLimiter{backend}, FallbackOptions{FailuresToOpen: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rule := &Rule{Name: "r", Key: mustKey(t, "ip"), Rate: 10, Period: time.Second}
	if _, err := f.Allow(ctx, rule, "k", time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if got := f.State(); got.Breaker != "closed" || got.Errors != 0 {
		t.Errorf("state %+v: a caller that went away must not trip the breaker", got)
	}
}

// ctxLimiter fails with the context's error, as a Redis call would.
type ctxLimiter struct{ MultiLimiter }

func (c ctxLimiter) AllowMany(ctx context.Context, hits []Hit, now time.Time) ([]Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.MultiLimiter.AllowMany(ctx, hits, now)
}
