package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// TestEngineLanes checks which requests the fasthttp engine serves natively
// (routes without a WAF, guards included) and which it hands to the
// net/http handler (WAF routes, unmatched requests), and that both answer
// alike on either engine.
func TestEngineLanes(t *testing.T) {
	var handled atomic.Int64
	hook := func(delta int) {
		if delta > 0 {
			handled.Add(1)
		}
	}
	testHookServe.Store(&hook)
	t.Cleanup(func() { testHookServe.Store(nil) })

	up := echoUpstream(t)
	for _, engine := range []string{config.EngineFastHTTP, config.EngineNetHTTP} {
		t.Run(strings.ReplaceAll(engine, "/", "-"), func(t *testing.T) {
			g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: %s
routes:
  - name: open
    match: { path_prefix: /open }
    upstream: { targets: [%q] }
  - name: guarded
    match: { path_prefix: /guarded }
    upstream: { targets: [%q] }
    ip_deny: [192.0.2.0/24]
  - name: denied
    match: { path_prefix: /denied }
    upstream: { targets: [%q] }
    ip_deny: [127.0.0.0/8]
  - name: waf
    match: { path_prefix: /waf }
    upstream: { targets: [%q] }
    waf: { mode: detect }
`, engine, up.URL, up.URL, up.URL, up.URL), nil)
			tests := []struct {
				path       string
				status     int
				netHandler bool // served by the net/http handler under fasthttp
			}{
				{"/open/x", http.StatusOK, false},
				{"/guarded/x", http.StatusOK, false},
				{"/denied/x", http.StatusForbidden, false},
				{"/waf/x", http.StatusOK, true},
				{"/elsewhere", http.StatusNotFound, true},
			}
			for _, tt := range tests {
				before := handled.Load()
				req := mustReq(t, http.MethodGet, g.url(0)+tt.path, nil)
				resp, rep := getReply(t, plainClient, req)
				if resp.StatusCode != tt.status {
					t.Errorf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
				}
				if resp.Header.Get("X-Request-Id") == "" {
					t.Errorf("%s: no X-Request-Id", tt.path)
				}
				if tt.status == http.StatusForbidden {
					resp, err := plainClient.Do(mustReq(t, http.MethodGet, g.url(0)+tt.path, nil))
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if id := resp.Header.Get("X-Request-Id"); !strings.Contains(string(body), "request id: "+id) ||
						resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != blockContentType {
						t.Errorf("%s: refusal %q with X-Request-Id %q, Cache-Control %q, Content-Type %q", tt.path, body,
							id, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
					}
				}
				if tt.status == http.StatusOK && rep.Path != tt.path {
					t.Errorf("%s: upstream saw %q", tt.path, rep.Path)
				}
				viaNet := handled.Load() > before
				want := tt.netHandler || engine == config.EngineNetHTTP
				if viaNet != want {
					t.Errorf("%s: served by the net/http handler = %v, want %v", tt.path, viaNet, want)
				}
			}
			logs := g.logs.String()
			for _, want := range []string{`"route":"open"`, `"route":"guarded"`, `"proto":"HTTP/1.1"`} {
				if !strings.Contains(logs, want) {
					t.Errorf("access log lacks %s", want)
				}
			}
		})
	}
}

// TestFastBodyLimit: under the fasthttp engine bodies are buffered, so the
// limit holds for chunked bodies too (413, not a truncated body).
func TestFastBodyLimit(t *testing.T) {
	ups, _ := countingUpstreams(t, 1, func(_ int, w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: fasthttp
limits: { max_body_bytes: 1024 }
routes: [{name: app, upstream: { targets: %s }}]
`, targetsYAML(ups)), nil)
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{"small", 512, false, http.StatusOK},
		{"small chunked", 512, true, http.StatusOK},
		{"large", 2048, false, http.StatusRequestEntityTooLarge},
		{"large chunked", 2048, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.NewReader(strings.Repeat("a", tt.size))
			req := mustReq(t, http.MethodPost, g.url(0)+"/", body)
			if tt.chunked {
				req.ContentLength = -1
			}
			resp, err := plainClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusOK && string(got) != fmt.Sprint(tt.size) {
				t.Errorf("upstream got %s body bytes, want %d", got, tt.size)
			}
		})
	}
}

func TestEngineChangeNeedsRestart(t *testing.T) {
	up := echoUpstream(t)
	src := fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL)
	g := startGateway(t, src, nil)
	other := config.EngineNetHTTP
	if g.engine == other {
		other = config.EngineFastHTTP
	}
	cfg, err := config.Parse("gateway.yaml", g.dir, []byte("http1_engine: "+other+"\n"+src))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Reload(cfg); err == nil || !strings.Contains(err.Error(), "http1_engine") {
		t.Errorf("Reload with another engine: %v, want a restart error", err)
	}
}
