package gateway

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// TestExampleEndToEnd runs examples/gateway/minimal.yaml as written, with
// only its addresses moved to free ports: a normal request passes, SQL
// injection gets 403, the 21st rapid request 429 with Retry-After, the
// upstream sees the client's JA4 over TLS, and /metrics shows all of it.
func TestExampleEndToEnd(t *testing.T) {
	up := echoUpstream(t)
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "gateway", "minimal.yaml"))
	if err != nil {
		t.Fatalf("load example: %v", err)
	}
	for i := range cfg.Listen {
		cfg.Listen[i].Address = "127.0.0.1:0"
	}
	cfg.Admin.Address = "127.0.0.1:0"
	cfg.Routes[0].Upstream.Targets = []string{up.URL}
	g := startConfig(t, cfg, t.TempDir())
	httpURL, tlsURL := g.url(0), g.url(1)
	p := newPKI(t)
	p.pool.AppendCertsFromPEM(mustRead(t, filepath.Join("..", "..", "examples", "gateway", "certs", "ca.crt")))
	tlsClient := p.client(true)

	// Rate limit first, while the bucket is full: burst 20, one more
	// request every 600ms (100/min).
	start := time.Now()
	first429 := 0
	var limited *http.Response
	for i := 1; i <= 40 && first429 == 0; i++ {
		resp, err := plainClient.Get(httpURL + "/burst")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			first429, limited = i, resp
		} else if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	// Requests that were not rapid earn tokens back; allow for them
	// rather than assume how fast this machine is.
	extra := int(time.Since(start) / (600 * time.Millisecond))
	if first429 < 21 || first429 > 21+extra {
		t.Errorf("first 429 at request %d, want 21 (+%d for elapsed time)", first429, extra)
	}
	if limited != nil {
		if limited.Header.Get("Retry-After") == "" || limited.Header.Get("RateLimit-Policy") == "" {
			t.Errorf("429 headers: %v", limited.Header)
		}
	}

	// Wait for a token, then the WAF.
	time.Sleep(700 * time.Millisecond)
	if st := do(t, tlsClient, http.MethodGet, tlsURL+"/?id=1%27%20OR%201=1--", nil); st != http.StatusForbidden {
		t.Errorf("SQL injection: status %d, want 403", st)
	}
	time.Sleep(700 * time.Millisecond)
	resp, rep := getReply(t, tlsClient, mustReq(t, http.MethodGet, tlsURL+"/hello", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("normal TLS request: %d", resp.StatusCode)
	}
	ja4 := http.Header(rep.Headers).Get("X-Rampart-JA4")
	if !regexp.MustCompile(`^t1[23][di]\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$`).MatchString(ja4) {
		t.Errorf("upstream saw JA4 %q", ja4)
	}

	metrics := string(mustGet(t, "http://"+g.AdminAddr()+"/metrics"))
	for _, want := range []string{
		`rampart_gateway_requests_total{code="2xx",route="app"}`,
		`rampart_gateway_requests_total{code="4xx",route="app"}`,
		`rampart_gateway_blocks_total{reason="waf",route="app",rule_id="942`,
		`rampart_gateway_blocks_total{reason="rate_limit",route="app",rule_id="per-ip"}`,
		`rampart_gateway_rate_limited_total{action="block",limit="per-ip",route="app"}`,
		`rampart_gateway_tls_fingerprints_total{ja4="` + ja4 + `"}`,
		`rampart_gateway_upstream_healthy{route="app",target="` + up.URL + `"} 1`,
		`rampart_gateway_request_duration_seconds_bucket{route="app"`,
		`rampart_gateway_upstream_duration_seconds_bucket{route="app"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if st := do(t, plainClient, http.MethodGet, "http://"+g.AdminAddr()+path, nil); st != 200 {
			t.Errorf("%s: %d", path, st)
		}
	}
	var actions []string
	for _, e := range g.events.all() {
		if e.Traffic.Action != "log" {
			actions = append(actions, e.Traffic.Action+":"+e.RuleID)
		}
	}
	joined := strings.Join(actions, " ")
	if !strings.Contains(joined, "rate_limit:gateway/rate_limit") || !strings.Contains(joined, "block:gateway/waf") {
		t.Errorf("events = %v, want a rate_limit and a waf block", actions)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := plainClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
