package ratelimit

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	perIP := &Rule{Name: "per-ip", Key: mustKey(t, "ip"), Rate: 2, Period: time.Hour, Burst: 2}
	perKey := &Rule{Name: "per-key", Key: mustKey(t, "header:X-Api-Key"), Rate: 1, Period: time.Hour, Action: Log}
	perUser := &Rule{Name: "per-user", Key: mustKey(t, "jwt:sub"), Rate: 1, Period: time.Hour}
	rules := []*Rule{perIP, perKey, perUser}
	ri := &RequestInfo{ClientIP: netip.MustParseAddr("192.0.2.1"), Header: http.Header{"X-Api-Key": {"k"}}}
	now := time.Unix(1_800_000_000, 0)

	type result struct {
		Rules    []string
		Allowed  []bool
		Blocking string
	}
	var got []result
	for _, l := range []Limiter{NewLocal(LocalOptions{}), onlyAllow{NewLocal(LocalOptions{})}} {
		for range 3 {
			ds, err := Check(context.Background(), l, rules, ri, now)
			if err != nil {
				t.Fatal(err)
			}
			var r result
			for _, d := range ds {
				r.Rules = append(r.Rules, d.Rule.Name)
				r.Allowed = append(r.Allowed, d.Allowed)
			}
			if b, ok := Blocking(ds); ok {
				r.Blocking = b.Rule.Name
			}
			got = append(got, r)
		}
	}
	// per-user has no verified claims, so it never applies; per-key is a
	// Log rule, so its refusal does not block.
	round := []result{
		{Rules: []string{"per-ip", "per-key"}, Allowed: []bool{true, true}},
		{Rules: []string{"per-ip", "per-key"}, Allowed: []bool{true, false}},
		{Rules: []string{"per-ip", "per-key"}, Allowed: []bool{false, false}, Blocking: "per-ip"},
	}
	want := append(append([]result{}, round...), round...)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if ds, err := Check(context.Background(), NewLocal(LocalOptions{}), rules, &RequestInfo{}, now); err != nil || ds != nil {
		t.Errorf("no applying rule: %v, %v; want nil, nil", ds, err)
	}
}

// onlyAllow hides AllowMany, to test Check's one-by-one path.
type onlyAllow struct{ l *Local }

func (o onlyAllow) Allow(ctx context.Context, r *Rule, k string, now time.Time) (Decision, error) {
	return o.l.Allow(ctx, r, k, now)
}

func TestBlockingLongestRetry(t *testing.T) {
	a := &Rule{Name: "a"}
	b := &Rule{Name: "b"}
	ds := []Decision{
		{Rule: a, RetryAfter: time.Second},
		{Rule: b, RetryAfter: time.Minute},
		{Rule: a, Allowed: true},
	}
	d, ok := Blocking(ds)
	if !ok || d.Rule != b {
		t.Errorf("Blocking = %v, %v; want rule b", d.Rule, ok)
	}
	if _, ok := Blocking(ds[2:]); ok {
		t.Error("Blocking of an allowed decision = true")
	}
}
