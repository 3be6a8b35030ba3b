package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTableMatch(t *testing.T) {
	mk := func(name, host, prefix string) *route { return &route{name: name, host: host, prefix: prefix} }
	tb := newTable([]*route{
		mk("root", "", "/"),
		mk("api", "", "/api"),
		mk("api-v2", "", "/api/v2/"),
		mk("wild", "*.example.com", "/"),
		mk("exact", "www.example.com", "/"),
		mk("exact-admin", "www.example.com", "/admin"),
	})
	tests := []struct{ host, path, want string }{
		{"other.test", "/", "root"},
		{"other.test", "/api", "api"},
		{"other.test", "/api/x", "api"},
		{"other.test", "/apix", "root"},
		{"other.test", "/api/v2/users", "api-v2"},
		{"a.example.com", "/api", "wild"},
		{"a.b.example.com:8443", "/", "wild"},
		{"example.com", "/", "root"},
		{"WWW.Example.com", "/", "exact"},
		{"www.example.com", "/admin/x", "exact-admin"},
		{"www.example.com.", "/x", "exact"},
		// Dot segments and doubled slashes are resolved before matching.
		{"www.example.com", "/x/../admin", "exact-admin"},
		{"www.example.com", "/admin/../x", "exact"},
		{"other.test", "//api//v2/users", "api-v2"},
		{"other.test", "/api/v2/x/..", "api-v2"},
		{"other.test", "/api/./v2/", "api-v2"},
		{"other.test", "/api/..", "root"},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://x"+tt.path, nil)
			r.Host = tt.host
			got := tb.match(r)
			if got == nil || got.name != tt.want {
				t.Errorf("match(%s%s) = %v, want %s", tt.host, tt.path, got, tt.want)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	tr := &trust{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name, peer, xff string
		want            string
		trusted         bool
	}{
		{"untrusted peer ignores xff", "192.0.2.1", "1.1.1.1", "192.0.2.1", false},
		{"trusted peer, client in xff", "10.0.0.1", "1.1.1.1", "1.1.1.1", true},
		{"spoofed left part ignored", "10.0.0.1", "6.6.6.6, 1.1.1.1", "1.1.1.1", true},
		{"chain of trusted proxies", "10.0.0.1", "1.1.1.1, 10.0.0.2, 10.0.0.3", "1.1.1.1", true},
		{"garbage stops the walk", "10.0.0.1", "1.1.1.1, nonsense", "10.0.0.1", true},
		{"no xff", "10.0.0.1", "", "10.0.0.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.xff != "" {
				h.Set("X-Forwarded-For", tt.xff)
			}
			got, trusted := tr.clientIP(netip.MustParseAddr(tt.peer), h["X-Forwarded-For"])
			if got.String() != tt.want || trusted != tt.trusted {
				t.Errorf("clientIP = %s, %v; want %s, %v", got, trusted, tt.want, tt.trusted)
			}
		})
	}
}

func TestForwardingHeaders(t *testing.T) {
	up := echoUpstream(t)
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			extra := ""
			if trusted {
				extra = "trusted_proxies: [127.0.0.1/32]\n"
			}
			g := startGateway(t, extra+fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream: { targets: [%q] }
`, up.URL), nil)
			req := mustReq(t, http.MethodGet, g.url(0)+"/x", nil)
			req.Host = "app.test"
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Host", "public.test")
			req.Header.Set("Forwarded", "for=203.0.113.7;proto=https")
			req.Header.Set("X-Request-Id", "from-client-1")
			req.Header.Set("X-Rampart-JA4", "forged")
			resp, rep := getReply(t, plainClient, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			h := http.Header(rep.Headers)
			// Every value, so that a client's copy left beside the
			// gateway's shows.
			all := func(k string) string { return strings.Join(h.Values(k), " | ") }
			got := map[string]string{
				"X-Forwarded-For":   all("X-Forwarded-For"),
				"X-Forwarded-Proto": all("X-Forwarded-Proto"),
				"X-Forwarded-Host":  all("X-Forwarded-Host"),
				"Forwarded":         all("Forwarded"),
				"X-Request-Id":      all("X-Request-Id"),
				"X-Rampart-Ja4":     all("X-Rampart-Ja4"),
				"Host":              rep.Host,
			}
			want := map[string]string{
				"X-Forwarded-For":   "127.0.0.1",
				"X-Forwarded-Proto": "http",
				"X-Forwarded-Host":  "app.test",
				"Forwarded":         `for=127.0.0.1;host="app.test";proto=http`,
				"X-Request-Id":      resp.Header.Get("X-Request-Id"),
				"X-Rampart-Ja4":     "",
				"Host":              "app.test",
			}
			if trusted {
				want["X-Forwarded-For"] = "203.0.113.7, 127.0.0.1"
				want["X-Forwarded-Proto"] = "https"
				want["X-Forwarded-Host"] = "public.test"
				want["Forwarded"] = `for=203.0.113.7;proto=https, for=127.0.0.1;host="app.test";proto=https`
				want["X-Request-Id"] = "from-client-1"
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("upstream headers (-got +want):\n%s", diff)
			}
			if !trusted && resp.Header.Get("X-Request-Id") == "from-client-1" {
				t.Errorf("untrusted client's request id was kept")
			}
		})
	}
}

func TestStripResponseHeaders(t *testing.T) {
	ups, _ := countingUpstreams(t, 1, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "Apache/2.4.1")
		w.Header().Set("X-Powered-By", "PHP/5.6")
		w.Header().Set("X-Backend-Node", "db-7")
		w.Header().Set("X-Kept", "yes")
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream: { targets: %s }
    strip_response_headers: [X-Backend-Node]
`, targetsYAML(ups)), nil)
	resp, _ := getReply(t, plainClient, mustReq(t, http.MethodGet, g.url(0)+"/", nil))
	if resp.Header.Get("X-Kept") != "yes" {
		t.Errorf("X-Kept was stripped")
	}
	for _, h := range []string{"Server", "X-Powered-By", "X-Backend-Node"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("response header %s = %q, want it stripped", h, v)
		}
	}
}

func TestMalformedRequest(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)
	for _, raw := range []string{
		"GET / HTTP/1.1\r\n\r\n",                    // no Host
		"OPTIONS other HTTP/1.1\r\nHost: a\r\n\r\n", // neither a path nor *
		"GET /\x01bad HTTP/1.1\r\nHost: a\r\n\r\n",
		"GARBAGE\r\n\r\n",
	} {
		c, err := net.Dial("tcp", g.Addrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, raw)
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(line, "HTTP/1.1 400") {
			t.Errorf("%q: got %q, want 400", raw, line)
		}
	}
}

func TestIPAndJA4Deny(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: open
    match: { path_prefix: /open }
    upstream: { targets: [%[1]q] }
  - name: closed
    match: { path_prefix: /closed }
    ip_deny: [127.0.0.0/8]
    upstream: { targets: [%[1]q] }
  - name: allowlisted
    match: { path_prefix: /allow }
    ip_allow: [10.0.0.0/8]
    upstream: { targets: [%[1]q] }
`, up.URL), nil)
	for path, want := range map[string]int{"/open": 200, "/closed": 403, "/allow": 403} {
		resp, _ := getReply(t, plainClient, mustReq(t, http.MethodGet, g.url(0)+path, nil))
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	if n := len(g.events.all()); n != 2 {
		t.Errorf("events = %d, want 2 (one per block)", n)
	}
	jg := &ja4Guard{deny: map[string]bool{"t13d_bad": true}}
	v, _ := jg.Check(context.Background(), &Request{TLS: &TLSInfo{JA4: "t13d_bad"}})
	if v.Action != Block || v.Reason != "ja4_deny" {
		t.Errorf("ja4 deny verdict = %+v", v)
	}
	v, _ = jg.Check(context.Background(), &Request{TLS: &TLSInfo{JA4: "t13d_ok"}})
	if v.Action != Allow {
		t.Errorf("ja4 allow verdict = %+v", v)
	}
}

// countingUpstream counts requests per server.
func countingUpstreams(t *testing.T, n int, h func(i int, w http.ResponseWriter, r *http.Request)) ([]*httptest.Server, []*atomic.Int64) {
	t.Helper()
	var servers []*httptest.Server
	var counts []*atomic.Int64
	for i := range n {
		c := &atomic.Int64{}
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Add(1)
			if h != nil {
				h(i, w, r)
				return
			}
			_, _ = io.WriteString(w, "ok")
		}))
		t.Cleanup(s.Close)
		servers = append(servers, s)
		counts = append(counts, c)
	}
	return servers, counts
}

func targetsYAML(servers []*httptest.Server) string {
	var q []string
	for _, s := range servers {
		q = append(q, fmt.Sprintf("%q", s.URL))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader) int {
	t.Helper()
	resp, err := c.Do(mustReq(t, method, url, body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestRoundRobin(t *testing.T) {
	ups, counts := countingUpstreams(t, 3, nil)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: %s }}]
`, targetsYAML(ups)), nil)
	for range 30 {
		if st := do(t, plainClient, http.MethodGet, g.url(0)+"/", nil); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	for i, c := range counts {
		if got := c.Load(); got != 10 {
			t.Errorf("upstream %d got %d requests, want 10", i, got)
		}
	}
}

func TestLeastConn(t *testing.T) {
	release := make(chan struct{})
	ups, counts := countingUpstreams(t, 2, func(i int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: %s, balance: least_conn }}]
`, targetsYAML(ups)), nil)
	// One long request occupies one target ...
	slowDone := make(chan int)
	go func() {
		slowDone <- do(t, &http.Client{Timeout: 10 * time.Second}, http.MethodGet, g.url(0)+"/slow", nil)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for counts[0].Load()+counts[1].Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	busy := 0
	if counts[1].Load() == 1 {
		busy = 1
	}
	// ... so every short request goes to the other one.
	for range 10 {
		do(t, plainClient, http.MethodGet, g.url(0)+"/fast", nil)
	}
	close(release)
	<-slowDone
	if got := counts[busy].Load(); got != 1 {
		t.Errorf("busy target got %d requests, want only the slow one", got)
	}
	if got := counts[1-busy].Load(); got != 10 {
		t.Errorf("idle target got %d requests, want 10", got)
	}
}

func TestPassiveEjection(t *testing.T) {
	ups, counts := countingUpstreams(t, 2, func(i int, w http.ResponseWriter, r *http.Request) {
		if i == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: %s, passive: { max_failures: 2, cool_down: 1m } }}]
`, targetsYAML(ups)), nil)
	for range 20 {
		do(t, plainClient, http.MethodGet, g.url(0)+"/", nil)
	}
	if got := counts[0].Load(); got != 2 {
		t.Errorf("failing target got %d requests, want 2 (then ejected)", got)
	}
	if got := counts[1].Load(); got != 18 {
		t.Errorf("healthy target got %d requests, want 18", got)
	}
}

func TestActiveHealthCheck(t *testing.T) {
	var sick atomic.Bool
	sick.Store(true)
	ups, counts := countingUpstreams(t, 2, func(i int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" && i == 0 && sick.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream:
      targets: %s
      health_check: { path: /health, interval: 20ms, timeout: 1s, unhealthy_threshold: 2, healthy_threshold: 1 }
`, targetsYAML(ups)), nil)
	target0 := g.state.Load().routes[0].pool.Targets()[0]
	waitFor(t, "target 0 unhealthy", func() bool { return !target0.Available() })
	before := counts[0].Load()
	for range 10 {
		do(t, plainClient, http.MethodGet, g.url(0)+"/", nil)
	}
	if got := counts[0].Load() - before; got > 1 { // at most one health probe in between
		t.Errorf("unhealthy target got %d requests", got)
	}
	sick.Store(false)
	waitFor(t, "target 0 healthy again", target0.Available)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRetries(t *testing.T) {
	ups, counts := countingUpstreams(t, 1, nil)
	// A port that refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream: { targets: [%q, %q], retries: 1, passive: { max_failures: 1000 } }
`, dead, ups[0].URL), nil)
	for _, m := range []string{http.MethodGet, http.MethodGet, http.MethodHead, http.MethodDelete} {
		if st := do(t, plainClient, m, g.url(0)+"/", nil); st != 200 {
			t.Errorf("%s: status %d, want 200 after a retry", m, st)
		}
	}
	failed := 0
	for range 4 {
		if st := do(t, plainClient, http.MethodPost, g.url(0)+"/", strings.NewReader("x")); st == http.StatusBadGateway {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("POST failed %d of 4 times, want 2 (never retried, half go to the dead target)", failed)
	}
	if got := counts[0].Load(); got != 6 {
		t.Errorf("live target got %d requests, want 6", got)
	}
}

func TestLoadShedding(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	started := make(chan struct{}, 1)
	ups, _ := countingUpstreams(t, 1, func(_ int, w http.ResponseWriter, _ *http.Request) {
		started <- struct{}{}
		<-release
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: %s, max_in_flight: 1, queue: 1, queue_timeout: 50ms }}]
`, targetsYAML(ups)), nil)
	first := make(chan int)
	go func() { first <- do(t, &http.Client{Timeout: 10 * time.Second}, http.MethodGet, g.url(0)+"/", nil) }()
	<-started
	// The queue holds one for 50ms, then it is shed too.
	resp, err := plainClient.Get(g.url(0) + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second request: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	once.Do(func() { close(release) })
	if st := <-first; st != 200 {
		t.Errorf("first request: %d", st)
	}
}

func TestBodyLimitAndRequestIDOnce(t *testing.T) {
	ups, counts := countingUpstreams(t, 1, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "upstream-id")
		_, _ = io.Copy(io.Discard, r.Body)
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
limits: { max_body_bytes: 10 }
routes: [{name: app, upstream: { targets: %s }}]
`, targetsYAML(ups)), nil)
	if st := do(t, plainClient, http.MethodPost, g.url(0)+"/", strings.NewReader(strings.Repeat("x", 11))); st != http.StatusRequestEntityTooLarge {
		t.Errorf("11-byte body: status %d, want 413", st)
	}
	if counts[0].Load() != 0 {
		t.Errorf("oversized body reached the upstream")
	}
	resp, err := plainClient.Post(g.url(0)+"/", "text/plain", strings.NewReader("small"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ids := resp.Header.Values("X-Request-Id"); resp.StatusCode != 200 || len(ids) != 1 || ids[0] == "upstream-id" {
		t.Errorf("status %d, X-Request-Id %q: want 200 and only the gateway's id", resp.StatusCode, ids)
	}
}

// TestRateLimitRequestKeys: keys read from a header, a cookie and the query
// (on the native lane under fasthttp, through net/http otherwise): the
// second request with the same value is limited, another value is not, and
// a request without the part is outside the rule.
func TestRateLimitRequestKeys(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: header
    match: { path_prefix: /h }
    upstream: { targets: [%[1]q] }
    rate_limits: [{ name: by-key, key: "header:X-Api-Key", rate: 1, period: 1h, burst: 1 }]
  - name: cookie
    match: { path_prefix: /c }
    upstream: { targets: [%[1]q] }
    rate_limits: [{ name: by-session, key: "cookie:session", rate: 1, period: 1h, burst: 1 }]
  - name: query
    match: { path_prefix: /q }
    upstream: { targets: [%[1]q] }
    rate_limits: [{ name: by-user, key: "query:user", rate: 1, period: 1h, burst: 1 }]
`, up.URL), nil)
	send := func(path string, set func(*http.Request)) int {
		req := mustReq(t, http.MethodGet, g.url(0)+path, nil)
		if set != nil {
			set(req)
		}
		resp, err := plainClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	header := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("X-Api-Key", v) }
	}
	cookie := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Cookie", "theme=dark; session="+v) }
	}
	tests := []struct {
		name        string
		path        string
		same, other func(*http.Request)
		otherPath   string
	}{
		{"header", "/h", header("k1"), header("k2"), "/h"},
		{"cookie", "/c", cookie("s1"), cookie("s2"), "/c"},
		{"query", "/q?user=alice&x=1", nil, nil, "/q?user=bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []int{send(tt.path, tt.same), send(tt.path, tt.same), send(tt.otherPath, tt.other)}
			if got[0] != 200 || got[1] != http.StatusTooManyRequests || got[2] != 200 {
				t.Errorf("same key, same key, other key: %v, want [200 429 200]", got)
			}
			bare := strings.SplitN(tt.path, "?", 2)[0]
			for range 2 {
				if st := send(bare, nil); st != 200 {
					t.Errorf("request without the key part: %d, want 200 (the rule does not apply)", st)
				}
			}
		})
	}
}
