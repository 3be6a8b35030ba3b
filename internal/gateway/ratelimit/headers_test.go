package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteHeaders(t *testing.T) {
	perIP := &Rule{Name: "per-ip", Rate: 100, Period: time.Minute, Burst: 20}
	login := &Rule{Name: "login", Rate: 5, Period: 90 * time.Second}
	tests := []struct {
		name string
		ds   []Decision
		want http.Header
	}{
		{
			name: "allowed",
			ds:   []Decision{{Allowed: true, Limit: 100, Remaining: 19, ResetAfter: 600 * time.Millisecond, Rule: perIP}},
			want: http.Header{
				"Ratelimit-Policy": {`"per-ip";q=100;w=60`},
				"Ratelimit":        {`"per-ip";r=19;t=1`},
			},
		},
		{
			name: "refused after the burst",
			ds:   []Decision{{Limit: 100, RetryAfter: 600 * time.Millisecond, ResetAfter: 12 * time.Second, Rule: perIP}},
			want: http.Header{
				"Ratelimit-Policy": {`"per-ip";q=100;w=60`},
				"Ratelimit":        {`"per-ip";r=0;t=12`},
				"Retry-After":      {"1"},
			},
		},
		{
			name: "two rules, the longest Retry-After wins",
			ds: []Decision{
				{Limit: 5, RetryAfter: 18 * time.Second, ResetAfter: 90 * time.Second, Rule: login},
				{Limit: 100, RetryAfter: 600 * time.Millisecond, ResetAfter: 12 * time.Second, Rule: perIP},
			},
			want: http.Header{
				"Ratelimit-Policy": {`"login";q=5;w=90`, `"per-ip";q=100;w=60`},
				"Ratelimit":        {`"login";r=0;t=90`, `"per-ip";r=0;t=12`},
				"Retry-After":      {"18"},
			},
		},
		{name: "no rule", ds: []Decision{{}}, want: http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := http.Header{}
			for _, d := range tt.ds {
				WriteHeaders(got, d)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("headers (-got +want):\n%s", diff)
			}
		})
	}
}
