package proxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

func TestReplayable(t *testing.T) {
	withGetBody := func(r *http.Request) *http.Request {
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }
		return r
	}
	tests := []struct {
		name string
		req  *http.Request
		want bool
	}{
		{"GET no body", &http.Request{Method: http.MethodGet}, true},
		{"HEAD", &http.Request{Method: http.MethodHead, Body: http.NoBody}, true},
		{"OPTIONS", &http.Request{Method: http.MethodOptions}, true},
		{"DELETE", &http.Request{Method: http.MethodDelete}, true},
		{"PUT with a one-shot body", &http.Request{Method: http.MethodPut, Body: io.NopCloser(strings.NewReader("x"))}, false},
		{"PUT with GetBody", withGetBody(&http.Request{Method: http.MethodPut, Body: io.NopCloser(strings.NewReader("x"))}), true},
		{"POST no body", &http.Request{Method: http.MethodPost}, false},
		{"PATCH with GetBody", withGetBody(&http.Request{Method: http.MethodPatch, Body: io.NopCloser(strings.NewReader("x"))}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replayable(tt.req); got != tt.want {
				t.Errorf("replayable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	mk := func(n int, leastConn bool) *Pool {
		p, err := New(config.Upstream{Targets: []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}[:n],
			Passive: config.Passive{MaxFailures: 2, CoolDown: time.Hour}}, Options{Route: "r"})
		if err != nil {
			t.Fatal(err)
		}
		p.leastConn = leastConn
		return p
	}
	t.Run("round robin skips ejected and unhealthy", func(t *testing.T) {
		p := mk(3, false)
		p.result(p.targets[0], true)
		p.result(p.targets[0], true) // ejected
		p.targets[1].healthy.Store(false)
		for range 6 {
			if got := p.pick(nil); got != p.targets[2] {
				t.Fatalf("picked %v, want the only available target", got.URL)
			}
		}
		if got := p.pick(p.targets[2]); got != nil {
			t.Errorf("pick with the only target skipped = %v, want nil", got.URL)
		}
	})
	t.Run("success resets the failure streak", func(t *testing.T) {
		p := mk(1, false)
		p.result(p.targets[0], true)
		p.result(p.targets[0], false)
		p.result(p.targets[0], true)
		if !p.targets[0].Available() {
			t.Errorf("target ejected after non-consecutive failures")
		}
	})
	t.Run("least conn", func(t *testing.T) {
		p := mk(3, true)
		p.targets[0].inflight.Store(5)
		p.targets[1].inflight.Store(1)
		p.targets[2].inflight.Store(3)
		for range 5 {
			if got := p.pick(nil); got != p.targets[1] {
				t.Fatalf("picked %v, want the least loaded", got.URL)
			}
		}
	})
}

// TestCancelledRequestsDoNotEject: a client that cancels its requests must
// not be able to eject a healthy target.
func TestCancelledRequestsDoNotEject(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer upstream.Close()
	p, err := New(config.Upstream{Targets: []string{upstream.URL}, Passive: config.Passive{MaxFailures: 2, CoolDown: time.Hour}}, Options{Route: "r"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://gateway/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (&balancer{p: p}).RoundTrip(req); err == nil {
			t.Fatal("RoundTrip of a cancelled request succeeded")
		}
		cancel()
	}
	if !p.targets[0].Available() {
		t.Errorf("target ejected after cancelled requests")
	}
}
