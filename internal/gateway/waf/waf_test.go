package waf

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantKey string // "" means valid
	}{
		{name: "zero value takes defaults", cfg: Config{}},
		{name: "detect pl4", cfg: Config{Mode: ModeDetect, ParanoiaLevel: 4}},
		{name: "bad mode", cfg: Config{Mode: "monitor"}, wantKey: "mode"},
		{name: "paranoia 5", cfg: Config{ParanoiaLevel: 5}, wantKey: "paranoia_level"},
		{name: "negative threshold", cfg: Config{InboundThreshold: -1}, wantKey: "inbound_threshold"},
		{name: "bad outbound", cfg: Config{OutboundThreshold: -3}, wantKey: "outbound_threshold"},
		{name: "bad rule id", cfg: Config{ExcludeRuleIDs: []int{942100, 0}}, wantKey: "exclude_rule_ids"},
		{name: "tag with quote", cfg: Config{ExcludeTags: []string{`attack-sqli"`}}, wantKey: "exclude_tags"},
		{name: "tag with newline", cfg: Config{ExcludeTags: []string{"a\nSecRuleEngine Off"}}, wantKey: "exclude_tags"},
		{name: "body limit too big", cfg: Config{BodyLimit: 2 << 30}, wantKey: "body_limit"},
		{name: "bad body action", cfg: Config{BodyLimitAction: "truncate"}, wantKey: "body_limit_action"},
		{name: "empty methods", cfg: Config{AllowedMethods: []string{}}, wantKey: "allowed_methods"},
		{name: "lower-case method", cfg: Config{AllowedMethods: []string{"get"}}, wantKey: "allowed_methods"},
		{name: "content type injection", cfg: Config{AllowedContentTypes: []string{"text/plain' ,setvar:x=1"}}, wantKey: "allowed_content_types"},
		{name: "content type ok", cfg: Config{AllowedContentTypes: []string{"application/vnd.acme+json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantKey+":") {
				t.Fatalf("Validate() = %v, want an ErrInvalidConfig naming %q", err, tt.wantKey)
			}
		})
	}
}

// upstream is a real server on 127.0.0.1 that records what reached it.
type upstream struct {
	mu    sync.Mutex
	calls int
	body  string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.calls++
	u.body = string(b)
	u.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "hello from upstream")
}

type recorder struct {
	mu        sync.Mutex
	decisions []Decision
}

func (rc *recorder) on(_ *http.Request, d Decision) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.decisions = append(rc.decisions, d)
}

func (rc *recorder) last() (Decision, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.decisions) == 0 {
		return Decision{}, false
	}
	return rc.decisions[len(rc.decisions)-1], true
}

// serve starts the WAF in front of up on 127.0.0.1.
func serve(t *testing.T, cfg Config, up http.Handler) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	w, err := New(context.Background(), cfg, Options{
		RequestID:  func(r *http.Request) string { return r.Header.Get("X-Test-Id") },
		OnDecision: rec.on,
	})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	srv := httptest.NewServer(w.Wrap(up))
	t.Cleanup(srv.Close)
	return srv, rec
}

func do(t *testing.T, method, url, ctype, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("X-Test-Id", "req-42")
	req.Host = "app.example.test" // a numeric Host trips CRS 920350
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestWrapModes(t *testing.T) {
	const attack = "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--"
	tests := []struct {
		name       string
		cfg        Config
		path       string
		wantStatus int
		wantAction string // "" means no decision
		wantCalls  int
	}{
		{name: "block refuses sqli", cfg: Config{Mode: ModeBlock}, path: attack, wantStatus: 403, wantAction: "block"},
		{name: "detect logs sqli", cfg: Config{Mode: ModeDetect}, path: attack, wantStatus: 200, wantAction: "log", wantCalls: 1},
		{name: "off ignores sqli", cfg: Config{Mode: ModeOff}, path: attack, wantStatus: 200, wantCalls: 1},
		{name: "block passes benign", cfg: Config{Mode: ModeBlock}, path: "/search?q=union+station+opening+hours", wantStatus: 200, wantCalls: 1},
		{name: "custom block body", cfg: Config{BlockBody: "denied {request_id}"}, path: attack, wantStatus: 403, wantAction: "block"},
		{name: "excluded tag lets sqli through", cfg: Config{ExcludeTags: []string{"attack-sqli"}}, path: attack, wantStatus: 200, wantCalls: 1},
		{name: "excluding a tuned rule by id", cfg: Config{ExcludeRuleIDs: []int{942290, 942100, 942151}}, path: attack, wantStatus: 403, wantAction: "block"},
		{name: "strict crs", cfg: Config{StrictCRS: true}, path: attack, wantStatus: 403, wantAction: "block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			srv, rec := serve(t, tt.cfg, up)
			status, hdr, body := do(t, "GET", srv.URL+tt.path, "", "")
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if up.calls != tt.wantCalls {
				t.Errorf("upstream calls = %d, want %d", up.calls, tt.wantCalls)
			}
			d, ok := rec.last()
			if got := d.Action; got != tt.wantAction {
				t.Errorf("decision action = %q (ok=%v, %+v), want %q", got, ok, d, tt.wantAction)
			}
			if tt.wantAction == "" {
				return
			}
			if !contains(d.RuleIDs, 942100) && !contains(d.RuleIDs, 942190) {
				t.Errorf("rule ids = %v, want a SQLi rule", d.RuleIDs)
			}
			if d.AnomalyScore < 5 {
				t.Errorf("anomaly score = %d, want >= 5", d.AnomalyScore)
			}
			if tt.wantStatus == 403 {
				if got := hdr.Get("X-Request-Id"); got != "req-42" {
					t.Errorf("X-Request-Id = %q, want req-42", got)
				}
				want := strings.ReplaceAll(tt.cfg.withDefaults().BlockBody, "{request_id}", "req-42")
				if diff := cmp.Diff(body, want); diff != "" {
					t.Errorf("block body (-got +want):\n%s", diff)
				}
				if !contains(d.RuleIDs, 949110) || d.Message == "" {
					t.Errorf("decision = %+v, want 949110 with a message", d)
				}
			}
		})
	}
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestAPIDefaults(t *testing.T) {
	const odata = "/odata/v4/Customers?$filter=startswith(CompanyName,%27Alfr%27)%20or%20City%20eq%20%27Berlin%27&$orderby=Name%20desc&$top=10"
	tests := []struct {
		name, method, ctype, body, path string
		cfg                             Config
		wantStatus                      int
	}{
		{name: "PUT json", method: "PUT", ctype: "application/json", body: `{"name":"Ann O'Neil","note":"select the best"}`, wantStatus: 200},
		{name: "PATCH merge-patch", method: "PATCH", ctype: "application/merge-patch+json", body: `{"status":"done"}`, wantStatus: 200},
		{name: "DELETE", method: "DELETE", wantStatus: 200},
		{name: "POST text/plain", method: "POST", ctype: "text/plain", body: "remember to buy milk", wantStatus: 200},
		{name: "OData query", method: "GET", path: odata, wantStatus: 200},
		{name: "OData query under strict_crs", method: "GET", path: odata, cfg: Config{StrictCRS: true}, wantStatus: 403},
		{name: "PUT refused when not allowed", method: "PUT", ctype: "application/json", body: `{}`, cfg: Config{AllowedMethods: []string{"GET", "POST"}}, wantStatus: 403},
		{name: "text/plain refused when not allowed", method: "POST", ctype: "text/plain", body: "hi", cfg: Config{AllowedContentTypes: []string{"application/json"}}, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, tt.cfg, &upstream{})
			path := tt.path
			if path == "" {
				path = "/api/v1/items/17"
			}
			status, _, _ := do(t, tt.method, srv.URL+path, tt.ctype, tt.body)
			if status != tt.wantStatus {
				d, _ := rec.last()
				t.Errorf("status = %d, want %d (decision %+v)", status, tt.wantStatus, d)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	attackBody := "comment=" + strings.Repeat("a", 100) + "%27%20OR%201%3D1--%20<script>alert(1)</script>"
	tests := []struct {
		name       string
		cfg        Config
		chunked    bool
		wantStatus int
		wantCalls  int
	}{
		{name: "under limit attack is inspected", cfg: Config{BodyLimit: 4096}, wantStatus: 403},
		{name: "over limit rejected", cfg: Config{BodyLimit: 64, BodyLimitAction: BodyLimitReject}, wantStatus: 413},
		{name: "over limit chunked rejected", cfg: Config{BodyLimit: 64}, chunked: true, wantStatus: 413},
		{name: "over limit skipped passes whole body", cfg: Config{BodyLimit: 64, BodyLimitAction: BodyLimitSkip}, wantStatus: 200, wantCalls: 1},
		{name: "over limit chunked skipped passes whole body", cfg: Config{BodyLimit: 64, BodyLimitAction: BodyLimitSkip}, chunked: true, wantStatus: 200, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			srv, _ := serve(t, tt.cfg, up)
			req, err := http.NewRequest("POST", srv.URL+"/comments", strings.NewReader(attackBody))
			if err != nil {
				t.Fatal(err)
			}
			if tt.chunked {
				req.ContentLength = -1 // sent with Transfer-Encoding: chunked
				req.Body = io.NopCloser(strings.NewReader(attackBody))
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", "test")
			req.Header.Set("Accept", "*/*")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if up.calls != tt.wantCalls {
				t.Errorf("upstream calls = %d, want %d", up.calls, tt.wantCalls)
			}
			if tt.wantCalls > 0 {
				if diff := cmp.Diff(up.body, attackBody); diff != "" {
					t.Errorf("upstream body (-got +want):\n%s", diff)
				}
			}
		})
	}
}

// failingBody fails mid-read, as a client that disconnects does.
type failingBody struct{ n int }

func (f *failingBody) Read(p []byte) (int, error) {
	if f.n > 0 {
		return 0, errors.New("connection reset by peer")
	}
	f.n++
	return copy(p, "a=1&b="), nil
}
func (f *failingBody) Close() error { return nil }

func TestFailClosed(t *testing.T) {
	tests := []struct {
		name       string
		failOpen   bool
		wantStatus int
		wantCalls  int
	}{
		{name: "fail closed", wantStatus: 500},
		{name: "fail open", failOpen: true, wantStatus: 200, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			w, err := New(context.Background(), Config{FailOpen: tt.failOpen}, Options{OnDecision: rec.on})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			up := &upstream{}
			req := httptest.NewRequest("POST", "/form", &failingBody{})
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rr := httptest.NewRecorder()
			w.Wrap(up).ServeHTTP(rr, req)
			if rr.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			if up.calls != tt.wantCalls {
				t.Errorf("upstream calls = %d, want %d", up.calls, tt.wantCalls)
			}
			if d, _ := rec.last(); d.Action != "error" {
				t.Errorf("decision = %+v, want action error", d)
			}
		})
	}
}

func TestInspectResponse(t *testing.T) {
	// A PHP source leak in a response body (CRS 953100 family).
	leak := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body><?php $db = mysqli_connect('db', 'root', 'secret'); ?></body></html>")
	})
	tests := []struct {
		name       string
		inspect    bool
		wantStatus int
	}{
		{name: "off streams the leak", wantStatus: 200},
		{name: "on blocks the leak", inspect: true, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, Config{InspectResponse: tt.inspect}, leak)
			status, _, body := do(t, "GET", srv.URL+"/page", "", "")
			if status != tt.wantStatus {
				d, _ := rec.last()
				t.Errorf("status = %d, want %d (decision %+v)", status, tt.wantStatus, d)
			}
			if tt.wantStatus == 403 && strings.Contains(body, "mysqli_connect") {
				t.Errorf("blocked response leaked the upstream body: %q", body)
			}
		})
	}
}

func TestEnginesShared(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, Config{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, Config{Mode: ModeBlock, ParanoiaLevel: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, Config{ParanoiaLevel: 2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.eng != b.eng {
		t.Error("equal configs compiled two engines, want one shared")
	}
	if a.eng == c.eng {
		t.Error("different paranoia levels share an engine")
	}
	for _, w := range []*WAF{a, b, c} {
		if err := w.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	}
	engines.Lock()
	n := len(engines.m)
	engines.Unlock()
	if n != 0 {
		t.Errorf("engines left after Close = %d, want 0", n)
	}
}
