//go:build linux

package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// Tests of the event-loop HTTP/1.1 engine (http1_engine: evloop, evh1.go):
// which requests it serves on the loop and which it hands to the fasthttp
// engine, pipelining, backpressure, streaming, upstream failures, the
// response head it re-emits, and connection limits. Every test names the
// engine, so RAMPART_TEST_HTTP1_ENGINE does not change them.

// evIOTimeout bounds every network wait of these tests.
const evIOTimeout = 10 * time.Second

// startEvGateway starts a gateway for src (which names http1_engine:
// evloop) and checks the engine really is the event loop.
func startEvGateway(t *testing.T, src string) *gw {
	t.Helper()
	g := startGateway(t, src, nil)
	if g.engine != config.EngineEvloop {
		t.Fatalf("http1_engine = %q, want %q", g.engine, config.EngineEvloop)
	}
	return g
}

// startEvProxy starts an evloop gateway with one route, app, to target.
func startEvProxy(t *testing.T, target string) *gw {
	t.Helper()
	return startEvGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: evloop
routes: [{name: app, upstream: { targets: [%q] }}]
`, target))
}

// evHandoffs reads rampart_gateway_evloop_handoffs_total by reason.
func evHandoffs(t *testing.T, g *gw) map[string]float64 {
	t.Helper()
	mfs, err := g.m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "rampart_gateway_evloop_handoffs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// evDial opens a raw client connection with a deadline on everything.
func evDial(t *testing.T, g *gw) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", g.Addrs()[0], evIOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(evIOTimeout))
	return c
}

// evRead reads one final response (skipping interim ones) and its body.
func evRead(br *bufio.Reader) (*http.Response, string, error) {
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, "", err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, "", nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b), err
	}
}

// evExchange writes raw on a new connection and reads one response.
func evExchange(t *testing.T, g *gw, raw string) (*http.Response, string) {
	t.Helper()
	c := evDial(t, g)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, body, err := evRead(bufio.NewReader(c))
	if err != nil {
		t.Fatalf("read response to %q: %v", h1Trunc(raw), err)
	}
	return resp, body
}

// evRawServer is a raw TCP upstream: serve runs for every connection,
// which has a deadline.
func evRawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int64{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(evIOTimeout))
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), conns
}

// evReadHead reads a request head (through the blank line).
func evReadHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" || line == "\n" {
			return b.String(), nil
		}
	}
}

func TestEvloopLanes(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(evIOTimeout))
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			_ = brw.Flush()
			buf := make([]byte, 4)
			if _, err := io.ReadFull(brw, buf); err == nil {
				_, _ = conn.Write(append([]byte("echo:"), buf...))
			}
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	}))
	t.Cleanup(up.Close)
	g := startEvGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: evloop
routes:
  - name: waf
    match: { host: waf.example }
    upstream: { targets: [%q] }
    waf: { mode: block, paranoia_level: 1 }
  - name: open
    upstream: { targets: [%q] }
`, up.URL, up.URL))

	const hostApp = "Host: app.example\r\n"
	const hostWAF = "Host: waf.example\r\n"
	tests := []struct {
		name    string
		raw     string
		status  int
		body    string // what the upstream saw, as it echoes it ("" with status != 200: not checked)
		handoff string // "" for served on the loop
	}{
		{"GET", "GET /plain?q=1 HTTP/1.1\r\n" + hostApp + "\r\n", 200, "GET /plain?q=1 ", ""},
		{"POST Content-Length", "POST /post HTTP/1.1\r\n" + hostApp + "Content-Length: 11\r\n\r\nhello world", 200, "POST /post hello world", ""},
		{"POST chunked", "POST /chunked HTTP/1.1\r\n" + hostApp + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
			200, "POST /chunked hello world", "protocol"},
		{"Expect 100-continue", "POST /expect HTTP/1.1\r\n" + hostApp + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
			200, "POST /expect hello", "protocol"},
		{"HTTP/1.0", "GET /old HTTP/1.0\r\n" + hostApp + "\r\n", 200, "GET /old ", "protocol"},
		{"WAF route", "GET /waf HTTP/1.1\r\n" + hostWAF + "\r\n", 200, "GET /waf ", "route"},
		{"WAF route SQLi", "GET /?id=1%27%20OR%201%3D1-- HTTP/1.1\r\n" + hostWAF + "\r\n", 403, "", "route"},
	}
	for _, tt := range tests {
		before := evHandoffs(t, g)
		resp, body := evExchange(t, g, tt.raw)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d (body %q)", tt.name, resp.StatusCode, tt.status, h1Trunc(body))
		}
		if tt.status == 200 && body != tt.body {
			t.Errorf("%s: upstream saw %q, want %q", tt.name, body, tt.body)
		}
		checkEvHandoff(t, tt.name, before, evHandoffs(t, g), tt.handoff)
	}

	t.Run("Upgrade", func(t *testing.T) {
		before := evHandoffs(t, g)
		checkUpgradeTunnel(t, evDial(t, g), "app.example", "echo:ping")
		checkEvHandoff(t, "Upgrade", before, evHandoffs(t, g), "protocol")
	})
}

// checkEvHandoff checks that exactly the counter of reason (none for "")
// grew by one between before and after.
func checkEvHandoff(t *testing.T, name string, before, after map[string]float64, reason string) {
	t.Helper()
	for _, r := range []string{"malformed", "protocol", "route"} {
		want := 0.0
		if r == reason {
			want = 1
		}
		if d := after[r] - before[r]; d != want {
			t.Errorf("%s: handoffs{reason=%q} grew by %v, want %v", name, r, d, want)
		}
	}
}

func TestEvloopPipelining(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "path=%s", r.URL.Path)
	}))
	t.Cleanup(up.Close)
	g := startEvProxy(t, up.URL)
	c := evDial(t, g)
	br := bufio.NewReader(c)
	if _, err := io.WriteString(c, "GET /first HTTP/1.1\r\nHost: app\r\n\r\nGET /second HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"path=/first", "path=/second"} {
		resp, body, err := evRead(br)
		if err != nil {
			t.Fatalf("read response %q: %v", want, err)
		}
		if resp.StatusCode != 200 || body != want {
			t.Errorf("response %d %q, want 200 %q", resp.StatusCode, body, want)
		}
	}
	// The connection stays usable.
	if _, err := io.WriteString(c, "GET /third HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, body, err := evRead(br)
	if err != nil {
		t.Fatalf("third request: %v", err)
	}
	if resp.StatusCode != 200 || body != "path=/third" {
		t.Errorf("third response %d %q, want 200 %q", resp.StatusCode, body, "path=/third")
	}
	checkEvHandoff(t, "pipelining", nil, evHandoffs(t, g), "")
}

func TestEvloopBackpressure(t *testing.T) {
	t.Parallel()
	const size = 64 << 20
	const chunk = 32 << 10
	var written atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		buf := bytes.Repeat([]byte("x"), chunk)
		for n := 0; n < size; n += chunk {
			if _, err := w.Write(buf); err != nil {
				return
			}
			written.Add(chunk)
		}
	}))
	t.Cleanup(up.Close)
	g := startEvProxy(t, up.URL)
	c := evDial(t, g)
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != size {
		t.Fatalf("status %d, Content-Length %d, want 200 and %d", resp.StatusCode, resp.ContentLength, size)
	}
	time.Sleep(500 * time.Millisecond)
	w := written.Load()
	t.Logf("upstream wrote %d bytes while the client was not reading", w)
	if w >= 16<<20 {
		t.Errorf("upstream wrote %d bytes to a client that is not reading, want < 16 MiB: no backpressure", w)
	}
	n, err := io.CopyN(io.Discard, resp.Body, size+1)
	if n != size || err != io.EOF {
		t.Errorf("read %d body bytes (%v), want exactly %d", n, err, size)
	}
	checkEvHandoff(t, "backpressure", nil, evHandoffs(t, g), "")
}

func TestEvloopStreaming(t *testing.T) {
	t.Parallel()
	t.Run("chunked", func(t *testing.T) {
		t.Parallel()
		next := make(chan struct{})
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "first\n")
			_ = http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			case <-time.After(evIOTimeout):
				return
			}
			_, _ = io.WriteString(w, "second\n")
		}))
		t.Cleanup(up.Close)
		g := startEvProxy(t, up.URL)
		c := evDial(t, g)
		if _, err := io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			close(next)
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("Transfer-Encoding %q, want chunked", resp.TransferEncoding)
		}
		first := make([]byte, len("first\n"))
		_, err = io.ReadFull(resp.Body, first)
		close(next)
		if err != nil || string(first) != "first\n" {
			t.Fatalf("before the upstream ended: read %q, %v; want %q (the response is held back)", first, err, "first\n")
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "second\n" {
			t.Errorf("rest of the body %q, %v; want %q", rest, err, "second\n")
		}
	})
	t.Run("close-delimited", func(t *testing.T) {
		t.Parallel()
		body := strings.Repeat("close-delimited body ", 5000)
		addr, _ := evRawServer(t, func(c net.Conn, br *bufio.Reader) {
			if _, err := evReadHead(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n"+body)
		})
		g := startEvProxy(t, "http://"+addr)
		c := evDial(t, g)
		if _, err := io.WriteString(c, "GET /eof HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, got, err := evRead(br)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || got != body {
			t.Errorf("status %d, body of %d bytes; want 200 and %d bytes", resp.StatusCode, len(got), len(body))
		}
		// http.ReadResponse turns "Connection: close" into resp.Close.
		if !resp.Close {
			t.Errorf("no Connection: close on a close-delimited response")
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("after the response: %v, want the connection closed", err)
		}
	})
}

func TestEvloopUpstreamErrors(t *testing.T) {
	t.Parallel()
	// closedAddr is a port nothing listens on.
	closedAddr := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		return addr
	}
	// answering is a raw upstream that reads the request head and writes resp.
	answering := func(t *testing.T, resp string) string {
		addr, _ := evRawServer(t, func(c net.Conn, br *bufio.Reader) {
			if _, err := evReadHead(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, resp)
		})
		return addr
	}
	gateway := func(t *testing.T, upstream string) *gw {
		return startEvGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: evloop
routes:
  - name: app
    upstream: { targets: [%s] }
    timeouts: { response_header: 200ms }
`, upstream))
	}

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		g := gateway(t, fmt.Sprintf("%q", "http://"+closedAddr(t)))
		resp, _ := evExchange(t, g, "GET / HTTP/1.1\r\nHost: app\r\n\r\n")
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
	})

	t.Run("retry", func(t *testing.T) {
		t.Parallel()
		bad, badConns := evRawServer(t, func(c net.Conn, br *bufio.Reader) {
			_, _ = evReadHead(br) // then close without an answer
		})
		good, _ := countingUpstreams(t, 1, nil)
		g := startEvGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: evloop
routes:
  - name: app
    upstream: { targets: [%q, %q], retries: 1 }
`, "http://"+bad, good[0].URL))
		for i := range 4 {
			resp, body := evExchange(t, g, fmt.Sprintf("GET /r%d HTTP/1.1\r\nHost: app\r\n\r\n", i))
			if resp.StatusCode != 200 || body != "ok" {
				t.Errorf("request %d: %d %q, want 200 \"ok\" (retried on the healthy target)", i, resp.StatusCode, body)
			}
		}
		if badConns.Load() == 0 {
			t.Errorf("the misbehaving target got no connection: the retry was not exercised")
		}
	})

	for _, tc := range []struct{ name, resp string }{
		{"bare LF", "HTTP/1.1 200 OK\r\nX-Bad: a\nX-Other: b\r\nContent-Length: 2\r\n\r\nok"},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\nok"},
		{"control character", "HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 2\r\n\r\nok"},
	} {
		t.Run("malformed head/"+tc.name, func(t *testing.T) {
			t.Parallel()
			g := gateway(t, fmt.Sprintf("%q", "http://"+answering(t, tc.resp)))
			resp, body := evExchange(t, g, "GET / HTTP/1.1\r\nHost: app\r\n\r\n")
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("status %d (%q), want 502", resp.StatusCode, body)
			}
		})
	}

	t.Run("cut off body", func(t *testing.T) {
		t.Parallel()
		g := gateway(t, fmt.Sprintf("%q", "http://"+answering(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")))
		c := evDial(t, g)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: app\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.ContentLength != 100 {
			t.Fatalf("status %d, Content-Length %d; want 200, 100", resp.StatusCode, resp.ContentLength)
		}
		buf := make([]byte, 100)
		n, err := io.ReadFull(resp.Body, buf)
		if err == nil {
			t.Fatalf("read all 100 bytes of a body the upstream cut off after 10")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("read %d bytes then timed out: the gateway kept the client connection open after the upstream cut the body off", n)
		}
		if n != 10 || string(buf[:n]) != "0123456789" {
			t.Errorf("read %q before the close, want the 10 bytes sent", buf[:n])
		}
	})

	// An upstream that never answers: 504 once response_header passes,
	// whether or not the request could have been retried.
	for _, tc := range []struct{ name, raw string }{
		{"GET", "GET /slow HTTP/1.1\r\nHost: app\r\n\r\n"},
		{"POST", "POST /slow HTTP/1.1\r\nHost: app\r\nContent-Length: 2\r\n\r\nhi"},
	} {
		t.Run("response header timeout/"+tc.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := evRawServer(t, func(c net.Conn, br *bufio.Reader) {
				_, _ = io.Copy(io.Discard, br) // never answers; ends at the deadline or the gateway's close
			})
			g := gateway(t, fmt.Sprintf("%q", "http://"+addr))
			resp, _ := evExchange(t, g, tc.raw)
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Errorf("status %d, want 504", resp.StatusCode)
			}
		})
	}
}

func TestEvloopResponseHead(t *testing.T) {
	t.Parallel()
	addr, _ := evRawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := evReadHead(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n"+
			"Connection: X-Secret, keep-alive\r\n"+
			"X-Secret: 1\r\n"+
			"Keep-Alive: timeout=5\r\n"+
			"Proxy-Authenticate: Basic realm=\"x\"\r\n"+
			"Server: origin/1.2.3\r\n"+
			"X-Request-Id: from-upstream\r\n"+
			"X-MiXeD-CaSe: Yes\r\n"+
			"x-lower-case: low\r\n"+
			"Content-Length: 2\r\n\r\nok")
	})
	g := startEvProxy(t, "http://"+addr)
	c := evDial(t, g)
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: app\r\n\r\n")
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read head: %v (so far %q)", err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	raw := head.String()
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("parse head %q: %v", raw, err)
	}
	for _, name := range []string{"Connection", "X-Secret", "Keep-Alive", "Proxy-Authenticate", "Server"} {
		if v, ok := resp.Header[name]; ok {
			t.Errorf("client got %s: %q", name, v)
		}
	}
	if ids := resp.Header["X-Request-Id"]; len(ids) != 1 || ids[0] == "from-upstream" || ids[0] == "" {
		t.Errorf("X-Request-Id %q, want exactly one, the gateway's", ids)
	}
	if resp.Header.Get("X-Mixed-Case") != "Yes" || resp.Header.Get("X-Lower-Case") != "low" {
		t.Errorf("custom fields lost: %q", raw)
	}
	if !strings.Contains(raw, "\r\nX-MiXeD-CaSe: Yes\r\n") || !strings.Contains(raw, "\r\nx-lower-case: low\r\n") {
		t.Errorf("custom fields not passed in the upstream's spelling: %q", raw)
	}
	body := make([]byte, 2)
	if _, err := io.ReadFull(br, body); err != nil || string(body) != "ok" {
		t.Errorf("body %q, %v; want \"ok\"", body, err)
	}
}

func TestEvloopLimits(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "ok %s", b)
	}))
	t.Cleanup(up.Close)
	g := startEvGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
http1_engine: evloop
limits: { max_conns_per_ip: 2 }
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL))

	const get = "GET / HTTP/1.1\r\nHost: app\r\n\r\n"
	const chunkedPost = "POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
	type conn struct {
		c  net.Conn
		br *bufio.Reader
	}
	// use sends raw on c and reports whether a 200 with want came back.
	use := func(c conn, raw, want string) error {
		_ = c.c.SetDeadline(time.Now().Add(evIOTimeout))
		if _, err := io.WriteString(c.c, raw); err != nil {
			return err
		}
		resp, body, err := evRead(c.br)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 || body != want {
			return fmt.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, want)
		}
		return nil
	}
	open := func() conn {
		c := evDial(t, g)
		return conn{c, bufio.NewReader(c)}
	}
	// rejected checks a connection over the limit is closed at once.
	rejected := func(what string) {
		t.Helper()
		c := open()
		defer c.c.Close()
		_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c.c, get)
		_, err := c.br.ReadByte()
		var ne net.Error
		switch {
		case err == nil:
			t.Errorf("%s: a third connection was served", what)
		case errors.As(err, &ne) && ne.Timeout():
			t.Errorf("%s: a third connection was left open, not closed", what)
		}
	}
	// admitted waits until a new connection is served (the loop releases
	// a closed connection's slot when it sees the close).
	admitted := func(what, raw, want string) conn {
		t.Helper()
		deadline := time.Now().Add(evIOTimeout)
		for {
			c := open()
			err := use(c, raw, want)
			if err == nil {
				return c
			}
			_ = c.c.Close()
			if time.Now().After(deadline) {
				t.Fatalf("%s: no new connection admitted: %v", what, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	c1, c2 := open(), open()
	for i, c := range []conn{c1, c2} {
		if err := use(c, get, "ok "); err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
	}
	rejected("two open")
	for i, c := range []conn{c1, c2} {
		if err := use(c, get, "ok "); err != nil {
			t.Errorf("connection %d after the rejection: %v", i+1, err)
		}
	}

	// Closing one frees its slot; the new one is handed off to fasthttp.
	_ = c1.c.Close()
	before := evHandoffs(t, g)
	c3 := admitted("after a close", chunkedPost, "ok hi")
	if d := evHandoffs(t, g)["protocol"] - before["protocol"]; d < 1 {
		t.Errorf("the chunked POST was not handed off (protocol hand-offs grew by %v)", d)
	}
	// The handed-off connection still holds its slot...
	rejected("one native, one handed off")
	if err := use(c2, get, "ok "); err != nil {
		t.Errorf("connection 2: %v", err)
	}
	// ...until it closes.
	_ = c3.c.Close()
	c4 := admitted("after closing a handed-off connection", get, "ok ")
	rejected("after re-admission")
	_ = c4.c.Close()
	_ = c2.c.Close()
}
