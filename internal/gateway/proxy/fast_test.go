package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/testcert"
)

// testLog logs to t.Log, shown when a test fails.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// echo is what echoHandler saw.
type echo struct {
	Method, URI, Host string
	Header            http.Header
	Body              string
}

// echoHandler answers with what it received as JSON, and X-Origin headers
// for the response side tests.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Server", "origin/1.0")
	w.Header().Set("X-Powered-By", "node")
	w.Header().Set("X-Upstream-Hop", "secret")
	w.Header().Set("Connection", "X-Upstream-Hop")
	w.Header().Set("Keep-Alive", "timeout=5")
	_ = json.NewEncoder(w).Encode(echo{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(body)})
}

// front serves p.ServeFast on 127.0.0.1 with the gateway's server settings
// and returns its address.
func front(t testing.TB, p *Pool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: p.ServeFast, StreamRequestBody: true, NoDefaultServerHeader: true,
		NoDefaultContentType: true, DisablePreParseMultipartForm: true}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

func newPool(t testing.TB, u config.Upstream, o Options) *Pool {
	t.Helper()
	if o.Route == "" {
		o.Route = "r"
	}
	if o.Timeouts.Connect == 0 {
		o.Timeouts.Connect = 2 * time.Second
	}
	p, err := New(u, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// dial connects to addr, with a 10 s deadline and closed at the end of t.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// raw sends req as written on a new connection and reads one response.
func raw(t *testing.T, addr, req string) (*http.Response, []byte) {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableCompression: true}}

func get(t *testing.T, method, url string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestServeFastForwarding(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	p := newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{
		RewriteFast: func(ctx *fasthttp.RequestCtx, out *fasthttp.Request) {
			out.Header.Set("X-Forwarded-For", "10.0.0.1")
		},
		StripResponse: []string{"Server", "X-Powered-By"},
	})
	addr := front(t, p)
	tests := []struct {
		name, req string
		want      echo
		absent    []string // request headers the upstream must not see
	}{
		{"unnormalized URI and client Host", "GET //a/../b?x=%2F HTTP/1.1\r\nHost: Example.COM:8080\r\nConnection: close\r\n\r\n",
			echo{Method: "GET", URI: "//a/../b?x=%2F", Host: "Example.COM:8080"}, []string{"User-Agent", "Content-Type"}},
		{"hop-by-hop and Connection-listed headers", "GET /h HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 300\r\n" +
			"Proxy-Authorization: Basic eA==\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nTe: trailers, deflate\r\nX-End: 2\r\nUser-Agent: ua/1\r\n\r\n",
			echo{Method: "GET", URI: "/h", Host: "h", Header: http.Header{"X-End": {"2"}, "Te": {"trailers"}, "User-Agent": {"ua/1"}}},
			[]string{"X-Hop", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Upgrade", "Connection"}},
		{"POST body with Content-Length", "POST /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
			echo{Method: "POST", URI: "/p?q=1", Host: "h", Body: "hello"}, []string{"Content-Type"}},
		{"chunked request body", "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			echo{Method: "PUT", URI: "/c", Host: "h", Body: "abcde", Header: http.Header{"Content-Type": {"text/plain"}}}, nil},
		{"DELETE", "DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n", echo{Method: "DELETE", URI: "/d", Host: "h"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, addr, tt.req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, body %q", resp.StatusCode, body)
			}
			var got echo
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("upstream answer %q: %v", body, err)
			}
			if got.Method != tt.want.Method || got.URI != tt.want.URI || got.Host != tt.want.Host || got.Body != tt.want.Body {
				t.Errorf("upstream saw %s %q host %q body %q, want %s %q host %q body %q",
					got.Method, got.URI, got.Host, got.Body, tt.want.Method, tt.want.URI, tt.want.Host, tt.want.Body)
			}
			for k, v := range tt.want.Header {
				if g := got.Header.Values(k); strings.Join(g, ",") != strings.Join(v, ",") {
					t.Errorf("upstream header %s = %q, want %q", k, g, v)
				}
			}
			for _, k := range tt.absent {
				if v := got.Header.Values(k); len(v) > 0 {
					t.Errorf("upstream got %s: %q", k, v)
				}
			}
			if v := got.Header.Get("X-Forwarded-For"); v != "10.0.0.1" {
				t.Errorf("RewriteFast not applied: X-Forwarded-For %q", v)
			}
			for _, k := range []string{"Server", "X-Powered-By", "X-Upstream-Hop", "Keep-Alive"} {
				if v := resp.Header.Values(k); len(v) > 0 {
					t.Errorf("client got response header %s: %q", k, v)
				}
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// TestServeFastResponseFraming: Content-Length kept, HEAD/204/304 without
// a body, the upstream's "Connection: close" does not close the client's.
func TestServeFastResponseFraming(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, "bye")
		default:
			w.Header().Set("Content-Length", "11")
			_, _ = io.WriteString(w, "hello world")
		}
	}))
	defer up.Close()
	addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))
	c := dial(t, addr)
	br := bufio.NewReader(c)
	// All on one client connection: it must survive every answer.
	tests := []struct {
		method, path string
		status       int
		cl           string
		body         string
	}{
		{"GET", "/", 200, "11", "hello world"},
		{"HEAD", "/", 200, "11", ""},
		{"GET", "/close", 200, "3", "bye"},
		{"GET", "/204", 204, "", ""},
		{"GET", "/304", 304, "", ""},
		{"GET", "/", 200, "11", "hello world"},
	}
	for _, tt := range tests {
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: h\r\n\r\n", tt.method, tt.path)
		req, _ := http.NewRequest(tt.method, tt.path, nil)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		if resp.StatusCode != tt.status || string(body) != tt.body || resp.Header.Get("Content-Length") != tt.cl || resp.Close {
			t.Errorf("%s %s: status %d body %q Content-Length %q close %v, want %d %q %q false",
				tt.method, tt.path, resp.StatusCode, body, resp.Header.Get("Content-Length"), resp.Close, tt.status, tt.body, tt.cl)
		}
	}
}

// named answers with its name; fail makes it drop the connection.
func named(name string, fail *atomic.Bool, hits *atomic.Int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if fail != nil && fail.Load() {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, name)
	}))
}

func TestServeFastBalancing(t *testing.T) {
	t.Run("round robin", func(t *testing.T) {
		var ha, hb atomic.Int64
		a, b := named("a", nil, &ha), named("b", nil, &hb)
		defer a.Close()
		defer b.Close()
		addr := front(t, newPool(t, config.Upstream{Targets: []string{a.URL, b.URL}}, Options{}))
		for range 6 {
			if resp, body := get(t, "GET", "http://"+addr+"/", nil); resp.StatusCode != 200 {
				t.Fatalf("status %d %q", resp.StatusCode, body)
			}
		}
		if ha.Load() != 3 || hb.Load() != 3 {
			t.Errorf("hits a=%d b=%d, want 3 and 3", ha.Load(), hb.Load())
		}
	})
	t.Run("least conn", func(t *testing.T) {
		release := make(chan struct{})
		started := make(chan string, 1)
		var mu sync.Mutex
		hits := map[string]int{}
		mk := func(name string) *httptest.Server {
			return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/slow" {
					started <- name
					w.WriteHeader(200)
					w.(http.Flusher).Flush()
					select { // the body stays open: the request is in flight
					case <-release:
					case <-time.After(10 * time.Second):
					}
					return
				}
				mu.Lock()
				hits[name]++
				mu.Unlock()
			}))
		}
		a, b := mk("a"), mk("b")
		defer a.Close()
		defer b.Close()
		p := newPool(t, config.Upstream{Targets: []string{a.URL, b.URL}, Balance: "least_conn"}, Options{})
		addr := front(t, p)
		slowDone := make(chan error, 1)
		go func() {
			resp, err := client.Get("http://" + addr + "/slow")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			slowDone <- err
		}()
		var busy string
		select {
		case busy = <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("slow request did not reach a target")
		}
		for range 4 {
			get(t, "GET", "http://"+addr+"/", nil)
		}
		mu.Lock()
		if hits[busy] != 0 {
			t.Errorf("least_conn sent %d requests to the busy target %s (hits %v)", hits[busy], busy, hits)
		}
		mu.Unlock()
		close(release)
		if err := <-slowDone; err != nil {
			t.Fatal(err)
		}
		for i, tg := range p.Targets() {
			// The count ends when the server closes the body stream, just
			// after the client has read it.
			for n := 0; tg.inflight.Load() != 0 && n < 100; n++ {
				time.Sleep(10 * time.Millisecond)
			}
			if n := tg.inflight.Load(); n != 0 {
				t.Errorf("target %d in flight %d after all responses", i, n)
			}
		}
	})
}

// TestServeFastConcurrent: many clients at once, for the race detector and
// the pooled response bodies; least_conn's counts return to zero.
func TestServeFastConcurrent(t *testing.T) {
	var ha, hb atomic.Int64
	a, b := named("a", nil, &ha), named("b", nil, &hb)
	defer a.Close()
	defer b.Close()
	p := newPool(t, config.Upstream{Targets: []string{a.URL, b.URL}, Balance: "least_conn", MaxInFlight: 64}, Options{})
	addr := front(t, p)
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				method, body := "GET", io.Reader(nil)
				if (g+i)%2 == 1 {
					method, body = "POST", strings.NewReader(strings.Repeat("p", 100*i))
				}
				req, _ := http.NewRequest(method, "http://"+addr+"/", body)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || (string(got) != "a" && string(got) != "b") {
					errs <- fmt.Sprintf("%s: %d %q %v", method, resp.StatusCode, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if ha.Load()+hb.Load() != 160 {
		t.Errorf("upstreams got %d requests, want 160", ha.Load()+hb.Load())
	}
	for i, tg := range p.Targets() {
		for n := 0; tg.inflight.Load() != 0 && n < 100; n++ {
			time.Sleep(10 * time.Millisecond)
		}
		if n := tg.inflight.Load(); n != 0 {
			t.Errorf("target %d in flight %d after all responses", i, n)
		}
	}
	for n := 0; len(p.sem) != 0 && n < 100; n++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(p.sem); n != 0 {
		t.Errorf("%d load-shedding tokens held after all responses", n)
	}
}

func TestServeFastRetries(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	var ha, hb atomic.Int64
	a, b := named("a", &fail, &ha), named("b", nil, &hb)
	defer a.Close()
	defer b.Close()
	p := newPool(t, config.Upstream{Targets: []string{a.URL, b.URL}, Retries: 1}, Options{})
	addr := front(t, p)
	for range 4 {
		if resp, body := get(t, "GET", "http://"+addr+"/", nil); resp.StatusCode != 200 || string(body) != "b" {
			t.Errorf("GET: %d %q, want 200 from b after a retry", resp.StatusCode, body)
		}
	}
	// Round robin sends some first attempts to a; a sees each twice (the
	// connection-lost retry on the same target), then the pool retries it
	// on b once.
	if n := counterValue(p.m.Retries.WithLabelValues("r")); n == 0 || float64(ha.Load()) != 2*n {
		t.Errorf("retries metric %v, a hit %d times: want twice the metric, > 0", n, ha.Load())
	}
	ha.Store(0)
	var bad int
	for range 4 {
		resp, body := get(t, "POST", "http://"+addr+"/", strings.NewReader("x"))
		switch {
		case resp.StatusCode == 502:
			bad++
		case string(body) != "b":
			t.Errorf("POST: %d %q", resp.StatusCode, body)
		}
	}
	if bad == 0 || int64(bad) != ha.Load() {
		t.Errorf("POST: %d answers 502, a hit %d times; want equal and > 0 (no retry)", bad, ha.Load())
	}
}

// TestServeFastConnectionLost: a connection that breaks before any
// response is retried once on the same target for a replayable request
// (as net/http's transport does), never for a POST.
func TestServeFastConnectionLost(t *testing.T) {
	tests := []struct {
		method     string
		body       io.Reader
		status     int
		wantServed int64
	}{
		{"GET", nil, 200, 2},
		{"PUT", nil, 200, 2},
		{"POST", strings.NewReader("x"), 502, 1},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			var served atomic.Int64
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if served.Add(1) == 1 { // the first request loses its connection
					if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
						c.Close()
					}
				}
			}))
			defer up.Close()
			p := newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{})
			resp, _ := get(t, tt.method, "http://"+front(t, p)+"/", tt.body)
			if resp.StatusCode != tt.status || served.Load() != tt.wantServed {
				t.Errorf("status %d, upstream saw %d requests; want %d and %d", resp.StatusCode, served.Load(), tt.status, tt.wantServed)
			}
		})
	}
}

func TestServeFastErrors(t *testing.T) {
	t.Run("passive ejection then no target", func(t *testing.T) {
		var hits atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(500)
		}))
		defer up.Close()
		p := newPool(t, config.Upstream{Targets: []string{up.URL}, Passive: config.Passive{MaxFailures: 2, CoolDown: time.Hour}}, Options{})
		addr := front(t, p)
		for i, want := range []int{500, 500, 503, 503} {
			resp, _ := get(t, "GET", "http://"+addr+"/", nil)
			if resp.StatusCode != want {
				t.Errorf("request %d: status %d, want %d", i, resp.StatusCode, want)
			}
			if want == 503 && resp.Header.Get("Retry-After") != "5" {
				t.Errorf("request %d: Retry-After %q", i, resp.Header.Get("Retry-After"))
			}
		}
		if hits.Load() != 2 {
			t.Errorf("upstream hit %d times, want 2", hits.Load())
		}
	})
	t.Run("unhealthy", func(t *testing.T) {
		p := newPool(t, config.Upstream{Targets: []string{"http://127.0.0.1:1"}}, Options{})
		p.targets[0].healthy.Store(false)
		if resp, _ := get(t, "GET", "http://"+front(t, p)+"/", nil); resp.StatusCode != 503 {
			t.Errorf("status %d, want 503", resp.StatusCode)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := ln.Addr().String()
		ln.Close()
		p := newPool(t, config.Upstream{Targets: []string{"http://" + dead}}, Options{})
		if resp, _ := get(t, "GET", "http://"+front(t, p)+"/", nil); resp.StatusCode != 502 {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
	})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			_, _ = io.WriteString(w, "x")
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	t.Run("response header timeout", func(t *testing.T) {
		p := newPool(t, config.Upstream{Targets: []string{slow.URL}, Passive: config.Passive{MaxFailures: 1, CoolDown: time.Hour}},
			Options{Timeouts: config.Timeouts{ResponseHeader: 100 * time.Millisecond}})
		addr := front(t, p)
		if resp, _ := get(t, "GET", "http://"+addr+"/", nil); resp.StatusCode != 504 {
			t.Errorf("status %d, want 504", resp.StatusCode)
		}
		if p.targets[0].Available() {
			t.Errorf("a response header timeout is the target's fault, as in the net/http path")
		}
	})
	t.Run("response header timeout does not bound the body", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			time.Sleep(300 * time.Millisecond)
			_, _ = io.WriteString(w, "late")
		}))
		defer up.Close()
		p := newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{Timeouts: config.Timeouts{ResponseHeader: 100 * time.Millisecond}})
		if resp, body := get(t, "GET", "http://"+front(t, p)+"/", nil); resp.StatusCode != 200 || string(body) != "late" {
			t.Errorf("got %d %q, want 200 \"late\"", resp.StatusCode, body)
		}
	})
	t.Run("total timeout", func(t *testing.T) {
		p := newPool(t, config.Upstream{Targets: []string{slow.URL}, Passive: config.Passive{MaxFailures: 1, CoolDown: time.Hour}},
			Options{Timeouts: config.Timeouts{Total: 100 * time.Millisecond}})
		if resp, _ := get(t, "GET", "http://"+front(t, p)+"/", nil); resp.StatusCode != 504 {
			t.Errorf("status %d, want 504", resp.StatusCode)
		}
		if !p.targets[0].Available() {
			t.Errorf("the route's total timeout ejected the target")
		}
	})
	t.Run("total timeout bounds the body", func(t *testing.T) {
		p := newPool(t, config.Upstream{Targets: []string{slow.URL}}, Options{Timeouts: config.Timeouts{Total: 200 * time.Millisecond}})
		resp, err := client.Get("http://" + front(t, p) + "/body")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err == nil {
			t.Errorf("body of an exchange past the total timeout ended cleanly")
		}
	})
}

func TestServeFastShedding(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			started <- struct{}{}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
	}))
	defer up.Close()
	p := newPool(t, config.Upstream{Targets: []string{up.URL}, MaxInFlight: 1}, Options{})
	addr := front(t, p)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := client.Get("http://" + addr + "/slow"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow request did not start")
	}
	// The token is held while the body streams, after ServeFast returned.
	resp, body := get(t, "GET", "http://"+addr+"/", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || string(body) != "upstream busy" {
		t.Errorf("got %d Retry-After %q body %q, want 503 1 \"upstream busy\"", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := counterValue(p.m.Shed.WithLabelValues("r")); n != 1 {
		t.Errorf("shed metric %v, want 1", n)
	}
	close(release)
	<-done
	var status int
	for range 100 { // the token comes back when the server closes the body stream
		if resp, _ := get(t, "GET", "http://"+addr+"/", nil); resp.StatusCode == 200 {
			status = 200
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status != 200 {
		t.Errorf("load-shedding token not released after the response")
	}
}

// TestServeFastStreaming: each chunk of an unknown-length response reaches
// the client before the upstream writes the next one.
func TestServeFastStreaming(t *testing.T) {
	received := make(chan struct{})
	timedOut := make(chan bool, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-received:
			timedOut <- false
		case <-time.After(3 * time.Second):
			timedOut <- true
		}
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	defer up.Close()
	addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))
	resp, err := client.Get("http://" + addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(received)
	if <-timedOut {
		t.Fatal("the first chunk reached the client only after the upstream wrote the second")
	}
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
}

// TestServeFastEventStreamHeader: the header of an event stream reaches the
// client before its first event.
func TestServeFastEventStreamHeader(t *testing.T) {
	gotHeader := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-gotHeader:
		case <-time.After(3 * time.Second):
		}
		_, _ = io.WriteString(w, "data: x\n\n")
	}))
	defer up.Close()
	addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))
	c := dial(t, addr)
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(time.Second)) // well before the upstream's 3s
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response header before the first event: %v", err)
	}
	close(gotHeader)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: x\n" {
		t.Errorf("event %q, %v", line, err)
	}
}

// TestServeFastBigResponseHeader: a 20 KiB Set-Cookie (over fasthttp's
// default 4 KiB read buffer) passes.
func TestServeFastBigResponseHeader(t *testing.T) {
	cookie := "c=" + strings.Repeat("v", 20<<10)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", cookie)
	}))
	defer up.Close()
	resp, _ := get(t, "GET", "http://"+front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))+"/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Set-Cookie") != cookie {
		t.Errorf("status %d, Set-Cookie of %d bytes", resp.StatusCode, len(resp.Header.Get("Set-Cookie")))
	}
}

// TestServeFastExpectContinue: the front server answers the client's
// Expect; the upstream gets the body without one.
func TestServeFastExpectContinue(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer up.Close()
	addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))
	c := dial(t, addr)
	_, _ = io.WriteString(c, "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first line %q, %v; want 100 Continue", line, err)
	}
	if line, _ := br.ReadString('\n'); line != "\r\n" {
		t.Fatalf("after 100 Continue: %q", line)
	}
	_, _ = io.WriteString(c, "body")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Body != "body" || got.Header.Get("Expect") != "" {
		t.Errorf("upstream got body %q, Expect %q", got.Body, got.Header.Get("Expect"))
	}
}

func TestServeFastLargeBodies(t *testing.T) {
	const size = 8 << 20
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("X-Sum", hex.EncodeToString(h.Sum(nil)))
		w.Header().Set("X-Len", fmt.Sprint(n))
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush()
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		_, _ = io.CopyN(w, &pattern{}, size)
	}))
	defer up.Close()
	addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}}, Options{}))
	want := sha256.New()
	_, _ = io.CopyN(want, &pattern{}, size)
	wantSum := hex.EncodeToString(want.Sum(nil))
	for _, tt := range []struct {
		name, path string
		cl         string // request and response Content-Length; "" is chunked
	}{
		{"known length", "/", fmt.Sprint(size)},
		{"chunked", "/chunked", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// io.LimitReader hides the length from net/http: chunked.
			req, _ := http.NewRequest("POST", "http://"+addr+tt.path, io.LimitReader(&pattern{}, size))
			if tt.cl != "" {
				req.ContentLength = size
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			h := sha256.New()
			n, err := io.Copy(h, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("X-Sum") != wantSum || resp.Header.Get("X-Len") != fmt.Sprint(size) {
				t.Errorf("upstream got %s bytes, sum %s", resp.Header.Get("X-Len"), resp.Header.Get("X-Sum"))
			}
			if n != size || hex.EncodeToString(h.Sum(nil)) != wantSum {
				t.Errorf("client got %d bytes with a different sum", n)
			}
			if resp.Header.Get("Content-Length") != tt.cl {
				t.Errorf("Content-Length %q, want %q", resp.Header.Get("Content-Length"), tt.cl)
			}
		})
	}
}

// pattern is an endless deterministic byte stream, whatever the reads.
type pattern struct{ off int }

func (r *pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.off*7 + r.off>>8)
		r.off++
	}
	return len(p), nil
}

// TestServeFastStaleKeepAlive: an upstream that closes idle keep-alive
// connections after 40ms (as Node does after 5s). Every POST, spaced
// 150ms, finds its pooled connection closed; none may fail, and none may
// reach the upstream twice. Over TLS the upstream sends close_notify
// before its FIN. (The spacing keeps clear of the race no proxy can
// avoid: a request written just as the upstream's idle timer fires.)
func TestServeFastStaleKeepAlive(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			var conns, posts atomic.Int64
			up, tlsCfg := upstream(t, useTLS, false, func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				body, _ := io.ReadAll(r.Body)
				_, _ = w.Write(body)
			})
			up.Config.IdleTimeout = 40 * time.Millisecond
			up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			start(up, useTLS)
			defer up.Close()
			addr := front(t, newPool(t, config.Upstream{Targets: []string{up.URL}, TLS: tlsCfg}, Options{Log: testLog(t)}))
			const n = 8
			for i := range n {
				if i > 0 {
					time.Sleep(150 * time.Millisecond)
				}
				// Buffered and streamed (chunked) request bodies in turn.
				var body io.Reader = strings.NewReader("small")
				if i%2 == 1 {
					body = io.LimitReader(&pattern{}, 1<<20)
				}
				resp, got := get(t, "POST", "http://"+addr+"/", body)
				if resp.StatusCode != 200 {
					t.Fatalf("POST %d: status %d %q", i, resp.StatusCode, got)
				}
			}
			if c := conns.Load(); c < n {
				t.Errorf("upstream saw %d connections: the idle ones were not closed, the test proves nothing", c)
			}
			if posts.Load() != n {
				t.Errorf("upstream got %d POSTs, want %d", posts.Load(), n)
			}
		})
	}
}

// upstream makes an unstarted upstream; with useTLS, a server certificate
// from a fresh CA (client certificates required with mTLS) and the pool's
// TLS settings to reach it with the example client certificate.
func upstream(t *testing.T, useTLS, mTLS bool, h http.HandlerFunc) (*httptest.Server, *config.UpstreamTLS) {
	t.Helper()
	up := httptest.NewUnstartedServer(h)
	if !useTLS {
		return up, nil
	}
	dir := t.TempDir()
	if err := testcert.WriteExample(dir, time.Hour); err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cas := x509.NewCertPool()
	cas.AppendCertsFromPEM(caPEM)
	srvCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	up.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}}
	if mTLS {
		up.TLS.ClientCAs, up.TLS.ClientAuth = cas, tls.RequireAndVerifyClientCert
	}
	return up, &config.UpstreamTLS{CAFile: filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, "client.crt"), KeyFile: filepath.Join(dir, "client.key")}
}

func start(up *httptest.Server, useTLS bool) {
	if useTLS {
		up.StartTLS()
	} else {
		up.Start()
	}
}

func TestServeFastTLSClientCert(t *testing.T) {
	up, tlsCfg := upstream(t, true, true, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	})
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake without a certificate
	start(up, true)
	defer up.Close()
	p := newPool(t, config.Upstream{Targets: []string{up.URL}, TLS: tlsCfg}, Options{})
	addr := front(t, p)
	for range 2 { // the second one on the pooled connection
		if resp, body := get(t, "GET", "http://"+addr+"/", nil); resp.StatusCode != 200 || string(body) != "example-client" {
			t.Errorf("got %d %q, want 200 with the client certificate's name", resp.StatusCode, body)
		}
	}
	t.Run("no client certificate", func(t *testing.T) {
		p := newPool(t, config.Upstream{Targets: []string{up.URL}, TLS: &config.UpstreamTLS{CAFile: tlsCfg.CAFile}}, Options{})
		if resp, _ := get(t, "GET", "http://"+front(t, p)+"/", nil); resp.StatusCode != 502 {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
	})
}

// BenchmarkServeFast: one GET through ServeFast to a fasthttp upstream on
// 127.0.0.1, response body written out.
func BenchmarkServeFast(b *testing.B) {
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1024)
	up := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) }}
	go up.Serve(upLn)   //nolint:errcheck
	defer up.Shutdown() //nolint:errcheck
	p := newPool(b, config.Upstream{Targets: []string{"http://" + upLn.Addr().String()}}, Options{
		RewriteFast: func(ctx *fasthttp.RequestCtx, out *fasthttp.Request) {
			out.Header.Set("X-Forwarded-Proto", "http")
		},
	})
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.Header.SetRequestURI("/bench?x=1")
		ctx.Request.Header.SetHost("example.com")
		ctx.Request.Header.Set("Accept", "*/*")
		p.ServeFast(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
		if err := ctx.Response.BodyWriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
		ctx.Response.Reset()
		ctx.Request.Reset()
	}
}

// TestUpConnCloseInterruptsRead: closing a TLS upstream connection from
// another goroutine (fasthttp's interrupt of a blocked body read) sends
// close_notify through SetWriteDeadline; its stale-connection peek must not
// wait for the blocked Read.
func TestUpConnCloseInterruptsRead(t *testing.T) {
	up, tlsCfg := upstream(t, true, false, func(w http.ResponseWriter, r *http.Request) {})
	start(up, true)
	defer up.Close()
	tc, err := upstreamTLS(tlsCfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.ServerName = "localhost"
	c, err := dialUpstream(up.Listener.Addr().String(), 2*time.Second, 0, tc)
	if err != nil {
		t.Fatal(err)
	}
	// A request, so that the connection counts as used and is peeked.
	_ = c.SetWriteDeadline(time.Time{})
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := br.ReadByte(); done <- err }()
	time.Sleep(50 * time.Millisecond) // let the Read block
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked behind the pending Read")
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read succeeded on a closed connection")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Read not interrupted")
	}
}

// BenchmarkServeHTTP is BenchmarkServeFast through the net/http path, for
// comparison.
func BenchmarkServeHTTP(b *testing.B) {
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1024)
	up := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) }}
	go up.Serve(upLn)   //nolint:errcheck
	defer up.Shutdown() //nolint:errcheck
	p := newPool(b, config.Upstream{Targets: []string{"http://" + upLn.Addr().String()}}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://example.com/bench?x=1", nil)
		req.Header.Set("Accept", "*/*")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func TestASCIIEqualFold(t *testing.T) {
	tests := []struct {
		b, s string
		want bool
	}{
		{"Connection", "Connection", true},
		{"connection", "Connection", true},
		{"CONNECTION", "Connection", true},
		{"Connectio", "Connection", false},
		{"Connectiom", "Connection", false},
		{"X-Powered-By", "x-powered-by", true},
		{"X\rPowered-By", "x-powered-by", false}, // '-' and '\r' differ in 0x20
		{"Te", "T\x05", false},                   // 'e'|0x20 == 0x45|0x20 only for letters
		{"@", "`", false},
		{"[", "{", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := asciiEqualFold([]byte(tt.b), tt.s); got != tt.want {
			t.Errorf("asciiEqualFold(%q, %q) = %v, want %v", tt.b, tt.s, got, tt.want)
		}
		if got, want := asciiEqualFold([]byte(tt.b), tt.s), bytes.EqualFold([]byte(tt.b), []byte(tt.s)); got != want {
			t.Errorf("asciiEqualFold(%q, %q) = %v, bytes.EqualFold says %v", tt.b, tt.s, got, want)
		}
	}
}

// TestDropHeaders (dropRequestHeaders; the response twin is
// TestServeFastForwarding's): every listed name goes, in any case and however often
// it appears (more than the fixed-size list of found names holds), with
// the names Connection lists; the rest stays.
func TestDropHeaders(t *testing.T) {
	var in fasthttp.RequestHeader
	rawHeader := "GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Listed, keep-alive\r\nX-Listed: 1\r\n" +
		"proxy-connection: a\r\nKEEP-ALIVE: b\r\nProxy-Authenticate: c\r\nProxy-Authorization: d\r\nTe: e\r\n" +
		"Trailer: X-T\r\nUpgrade: f\r\nExpect: g\r\nKeep-Alive: h\r\nProxy-Connection: i\r\nX-Keep: j\r\nX-Proxy-Connection: k\r\n\r\n"
	if err := in.Read(bufio.NewReader(strings.NewReader(rawHeader))); err != nil {
		t.Fatal(err)
	}
	var out fasthttp.RequestHeader
	in.CopyTo(&out)
	dropRequestHeaders(&in, &out, dropRequest)
	var kept []string
	for k := range out.All() {
		kept = append(kept, string(k))
	}
	if got, want := strings.Join(kept, " "), "Host X-Keep X-Proxy-Connection"; got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
}

// TestUpConnLazyHeaderDeadline: a header deadline kept from the previous
// request (armed within the slack) still times out a response that does
// not start, and not earlier than the slack allows; one that fires after
// the response began is moved out of the way.
func TestUpConnLazyHeaderDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const header = 640 * time.Millisecond
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch line {
			case "fast\n":
				_, _ = io.WriteString(c, "ok\n")
			case "slow-body\n": // starts at once, ends after the header timeout
				_, _ = io.WriteString(c, "o")
				time.Sleep(header + 200*time.Millisecond)
				_, _ = io.WriteString(c, "k\n")
			case "silent\n": // never answers
			}
		}
	}()
	conn, err := dialUpstream(ln.Addr().String(), time.Second, header, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := conn.(*upConn)
	br := bufio.NewReader(c)
	// exchange sends req with fasthttp's deadlines: none (far away), or
	// the route's total timeout.
	exchangeWithin := func(req string, total time.Duration) (string, error) {
		dl := time.Now().Add(noTimeout)
		if total > 0 {
			dl = time.Now().Add(total)
		}
		if err := c.SetWriteDeadline(dl); err != nil {
			return "", err
		}
		if _, err := io.WriteString(c, req); err != nil {
			return "", err
		}
		if err := c.SetReadDeadline(dl); err != nil {
			return "", err
		}
		return br.ReadString('\n')
	}
	exchange := func(req string) (string, error) { return exchangeWithin(req, 0) }
	if got, err := exchange("fast\n"); got != "ok\n" || err != nil {
		t.Fatalf("fast: %q, %v", got, err)
	}
	if got, err := exchange("slow-body\n"); got != "ok\n" || err != nil {
		t.Fatalf("a body outlasting the header timeout: %q, %v", got, err)
	}
	if !c.wdl.IsZero() {
		t.Errorf("a write deadline %v set for fasthttp's far-away one", c.wdl)
	}
	if _, err := exchange("fast\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = exchange("silent\n")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent upstream: err %v, want a deadline", err)
	}
	if took := time.Since(start); took < header-armSlack(header)-5*time.Millisecond {
		t.Errorf("header timeout fired after %v, earlier than %v less the slack", took, header)
	}

	// A total timeout shorter than the header timeout: the previous
	// request's deadline, 150 ms older, must not be kept for the next.
	const total = 300 * time.Millisecond
	if _, err := exchangeWithin("fast\n", total); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	start = time.Now()
	if _, err = exchangeWithin("silent\n", total); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent upstream within a total timeout: err %v, want a deadline", err)
	}
	if took := time.Since(start); took < total-armSlack(total)-5*time.Millisecond {
		t.Errorf("total timeout of %v fired after %v: the previous request's deadline was kept", total, took)
	}
}
