package ratelimit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustKey(t testing.TB, s string) KeySpec {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// step sends n requests at offset from the start and records what happened.
type step struct {
	at time.Duration
	n  int
}

// outcome summarises one step: how many passed, and the decision of the last
// request of the step.
type outcome struct {
	Allowed    int
	Remaining  int
	RetryAfter time.Duration
	ResetAfter time.Duration
}

func TestGCRA(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	perIP := Rule{Name: "per-ip", Rate: 100, Period: time.Minute, Burst: 20} // T = 600ms, B*T = 12s
	tests := []struct {
		name  string
		rule  Rule
		steps []step
		want  []outcome
	}{
		{
			name:  "issue example: exactly 20 rapid requests pass",
			rule:  perIP,
			steps: []step{{0, 20}, {0, 1}},
			want: []outcome{
				{Allowed: 20, Remaining: 0, ResetAfter: 12 * time.Second},
				{Allowed: 0, RetryAfter: 600 * time.Millisecond, ResetAfter: 12 * time.Second},
			},
		},
		{
			name:  "first request of an idle key",
			rule:  perIP,
			steps: []step{{0, 1}},
			want:  []outcome{{Allowed: 1, Remaining: 19, ResetAfter: 600 * time.Millisecond}},
		},
		{
			name:  "refill: one request per interval after the burst",
			rule:  perIP,
			steps: []step{{0, 20}, {1200 * time.Millisecond, 3}, {1799 * time.Millisecond, 1}, {1800 * time.Millisecond, 1}},
			want: []outcome{
				{Allowed: 20, ResetAfter: 12 * time.Second},
				{Allowed: 2, RetryAfter: 600 * time.Millisecond, ResetAfter: 12 * time.Second},
				{Allowed: 0, RetryAfter: time.Millisecond, ResetAfter: 11401 * time.Millisecond},
				{Allowed: 1, ResetAfter: 12 * time.Second},
			},
		},
		{
			name:  "full burst again after B*T idle",
			rule:  perIP,
			steps: []step{{0, 20}, {12 * time.Second, 21}},
			want: []outcome{
				{Allowed: 20, ResetAfter: 12 * time.Second},
				{Allowed: 20, RetryAfter: 600 * time.Millisecond, ResetAfter: 12 * time.Second},
			},
		},
		{
			name:  "steady rate at exactly T never refused",
			rule:  Rule{Name: "steady", Rate: 10, Period: time.Second, Burst: 1},
			steps: []step{{0, 1}, {100 * time.Millisecond, 1}, {200 * time.Millisecond, 1}, {250 * time.Millisecond, 1}, {300 * time.Millisecond, 1}},
			want: []outcome{
				{Allowed: 1, ResetAfter: 100 * time.Millisecond},
				{Allowed: 1, ResetAfter: 100 * time.Millisecond},
				{Allowed: 1, ResetAfter: 100 * time.Millisecond},
				{Allowed: 0, RetryAfter: 50 * time.Millisecond, ResetAfter: 50 * time.Millisecond},
				{Allowed: 1, ResetAfter: 100 * time.Millisecond},
			},
		},
		{
			name:  "burst 0 behaves as 1",
			rule:  Rule{Name: "b0", Rate: 1, Period: time.Second},
			steps: []step{{0, 2}},
			want:  []outcome{{Allowed: 1, RetryAfter: time.Second, ResetAfter: time.Second}},
		},
		{
			name: "mitigation_timeout keeps refusing after the bucket refills",
			rule: Rule{Name: "mit", Rate: 10, Period: time.Second, Burst: 2, MitigationTimeout: 30 * time.Second},
			steps: []step{
				{0, 3},                    // third refused, block until 30s
				{10 * time.Second, 1},     // refilled, still blocked
				{30 * time.Second, 1},     // block over
				{30*time.Second + 50, 2},  // one left in the burst, then refused and blocked again
				{30*time.Second + 100, 1}, // blocked
			},
			want: []outcome{
				{Allowed: 2, RetryAfter: 30 * time.Second, ResetAfter: 30 * time.Second},
				{Allowed: 0, RetryAfter: 20 * time.Second, ResetAfter: 20 * time.Second},
				{Allowed: 1, Remaining: 1, ResetAfter: 100 * time.Millisecond},
				{Allowed: 1, RetryAfter: 30 * time.Second, ResetAfter: 30 * time.Second},
				{Allowed: 0, RetryAfter: 30*time.Second - 50, ResetAfter: 30*time.Second - 50},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := tt.rule
			rule.Key = mustKey(t, "ip")
			if err := rule.Validate(); err != nil {
				t.Fatal(err)
			}
			l := NewLocal(LocalOptions{})
			var got []outcome
			for _, s := range tt.steps {
				var o outcome
				for range s.n {
					d, err := l.Allow(context.Background(), &rule, "192.0.2.1", start.Add(s.at))
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed {
						o.Allowed++
					}
					o.Remaining, o.RetryAfter, o.ResetAfter = d.Remaining, d.RetryAfter, d.ResetAfter
					if d.Limit != rule.Rate || d.Rule != &rule {
						t.Fatalf("decision limit %d rule %p, want %d %p", d.Limit, d.Rule, rule.Rate, &rule)
					}
				}
				got = append(got, o)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("outcomes (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	ip := mustKey(t, "ip")
	tests := []struct {
		name string
		rule Rule
		want string // "" means valid
	}{
		{"valid", Rule{Name: "per-ip", Key: ip, Rate: 100, Period: time.Minute, Burst: 20}, ""},
		{"bad name", Rule{Name: `a"b`, Key: ip, Rate: 1, Period: time.Second}, `invalid rate limit rule "a\"b": name: want 1-64 characters of letters, digits, _ . : - starting with a letter or digit`},
		{"no key", Rule{Name: "x", Rate: 1, Period: time.Second}, `invalid rate limit rule "x": key: missing`},
		{"zero rate", Rule{Name: "x", Key: ip, Period: time.Second}, `invalid rate limit rule "x": rate 0: want at least 1`},
		{"zero period", Rule{Name: "x", Key: ip, Rate: 1}, `invalid rate limit rule "x": period 0s: want more than 0`},
		{"negative burst", Rule{Name: "x", Key: ip, Rate: 1, Period: time.Second, Burst: -1}, `invalid rate limit rule "x": burst -1: want 0 or more`},
		{"too fast", Rule{Name: "x", Key: ip, Rate: 2_000_000, Period: time.Second}, `invalid rate limit rule "x": rate 2000000 per 1s: more than one request per microsecond`},
		{"burst overflow", Rule{Name: "x", Key: ip, Rate: 1, Period: time.Hour, Burst: 1 << 40}, `invalid rate limit rule "x": burst 1099511627776: too large for period 1h0m0s`},
		{"negative mitigation", Rule{Name: "x", Key: ip, Rate: 1, Period: time.Second, MitigationTimeout: -1}, `invalid rate limit rule "x": mitigation_timeout -1ns: want 0 or more`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.rule.Validate(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Validate (-got +want):\n%s", diff)
			}
		})
	}
}

// TestLocalConcurrentOneKey: goroutines racing on one key at one instant
// admit exactly the burst. Run with -race.
func TestLocalConcurrentOneKey(t *testing.T) {
	rule := &Rule{Name: "hot", Key: mustKey(t, "ip"), Rate: 50, Period: time.Hour, Burst: 50}
	l := NewLocal(LocalOptions{Shards: 4})
	now := time.Unix(1_800_000_000, 0)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if d, _ := l.Allow(context.Background(), rule, "198.51.100.7", now); d.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got, want := admitted.Load(), int64(50); got != want {
		t.Errorf("admitted %d of 800, want %d", got, want)
	}
}

// TestLocalEvictionBound: a million distinct keys leave at most
// shards*MaxKeys entries and a bounded heap.
func TestLocalEvictionBound(t *testing.T) {
	if testing.Short() {
		t.Skip("a million decisions")
	}
	const shards, perShard, keys = 16, 1000, 1_000_000
	rule := &Rule{Name: "per-ip", Key: mustKey(t, "ip"), Rate: 100, Period: time.Minute, Burst: 20}
	l := NewLocal(LocalOptions{Shards: shards, MaxKeys: perShard})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	now := time.Unix(1_800_000_000, 0)
	buf := make([]byte, 0, 32)
	for i := range keys {
		buf = fmt.Appendf(buf[:0], "key-%d", i)
		if d, _ := l.Allow(context.Background(), rule, string(buf), now); !d.Allowed {
			t.Fatalf("key %d refused on its first request", i)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := l.Len(); got > shards*perShard {
		t.Errorf("Len() = %d, want at most %d", got, shards*perShard)
	}
	total, live := l.Evictions()
	if got, want := total, uint64(keys-l.Len()); got != want {
		t.Errorf("evictions %d, want %d", got, want)
	}
	if live != total {
		t.Errorf("live evictions %d, want %d (every key still had state)", live, total)
	}
	t.Logf("%d keys held, heap grew %d KB", l.Len(), (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10)
	// 16,000 cells take about 2 MB; a million would take over 100 MB.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Errorf("heap grew %d MB over a million keys, want under 32 MB", grew>>20)
	}
}

func TestLocalExpiredKeyForgotten(t *testing.T) {
	rule := &Rule{Name: "r", Key: mustKey(t, "ip"), Rate: 1, Period: time.Second}
	l := NewLocal(LocalOptions{Shards: 1, MaxKeys: 2})
	now := time.Unix(1_800_000_000, 0)
	l.Allow(context.Background(), rule, "a", now)
	l.Allow(context.Background(), rule, "b", now)
	// Both cells are dead two seconds later; a third key evicts one, and
	// the eviction is not counted as live.
	l.Allow(context.Background(), rule, "c", now.Add(2*time.Second))
	total, live := l.Evictions()
	if diff := cmp.Diff([]uint64{total, live}, []uint64{1, 0}); diff != "" {
		t.Errorf("evictions (-got +want):\n%s", diff)
	}
}
