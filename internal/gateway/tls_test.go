package gateway

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/testcert"
)

func TestHTTP2OverTLSAndFingerprint(t *testing.T) {
	up := echoUpstream(t)
	p := newPKI(t)
	g := startGateway(t, fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
    tls: { cert_file: server.crt, key_file: server.key }
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), p.files)
	for _, h2 := range []bool{true, false} {
		req := mustReq(t, http.MethodGet, g.url(0)+"/fp", nil)
		req.Header.Set("X-Rampart-JA4", "forged")
		resp, rep := getReply(t, p.client(h2), req)
		wantProto := "HTTP/1.1"
		if h2 {
			wantProto = "HTTP/2.0"
		}
		if resp.Proto != wantProto {
			t.Errorf("h2=%v: proto %s, want %s", h2, resp.Proto, wantProto)
		}
		ja4 := http.Header(rep.Headers).Get("X-Rampart-JA4")
		if ja4 == "" || ja4 == "forged" || !strings.HasPrefix(ja4, "t1") {
			t.Errorf("h2=%v: upstream saw X-Rampart-JA4 %q, want the client's JA4", h2, ja4)
		}
		if ja3 := http.Header(rep.Headers).Get("X-Rampart-JA3"); len(ja3) != 32 {
			t.Errorf("h2=%v: upstream saw X-Rampart-JA3 %q, want an MD5 hex", h2, ja3)
		}
		if got := http.Header(rep.Headers).Get("X-Forwarded-Proto"); got != "https" {
			t.Errorf("X-Forwarded-Proto = %q", got)
		}
	}
	if !strings.Contains(g.logs.String(), `"ja4":"t1`) {
		t.Errorf("access log has no ja4")
	}
}

func TestH2C(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
    h2c: true
  - address: "127.0.0.1:0"
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	c := &http.Client{Transport: &http.Transport{Protocols: &p}, Timeout: 10 * time.Second}
	resp, err := c.Get(g.url(0) + "/")
	if err != nil {
		t.Fatalf("h2c request: %v", err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("proto %s, want HTTP/2.0", resp.Proto)
	}
	// h2c is opt-in: the other listener speaks HTTP/1 only.
	if _, err := c.Get(g.url(1) + "/"); err == nil {
		t.Errorf("h2c request to a listener without h2c succeeded")
	}
}

func TestSNI(t *testing.T) {
	up := echoUpstream(t)
	ca, err := testcert.NewCA("sni CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range []string{"a.test", "b.test"} {
		leaf, err := ca.Issue(testcert.Options{CommonName: name, DNSNames: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		files[name+".crt"], files[name+".key"] = leaf.CertPEM, leaf.KeyPEM
	}
	g := startGateway(t, fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
    tls:
      certificates:
        - { cert_file: a.test.crt, key_file: a.test.key }
        - { cert_file: b.test.crt, key_file: b.test.key }
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), files)
	for _, name := range []string{"a.test", "b.test", "unknown.test"} {
		conn, err := tls.Dial("tcp", g.Addrs()[0], &tls.Config{ServerName: name, InsecureSkipVerify: true}) //nolint:gosec // we inspect the certificate ourselves
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := conn.ConnectionState().PeerCertificates[0].Subject.CommonName
		conn.Close()
		want := name
		if name == "unknown.test" {
			want = "a.test" // the first certificate is the default
		}
		if got != want {
			t.Errorf("SNI %s: got certificate %s, want %s", name, got, want)
		}
	}
}

func TestMutualTLSIdentity(t *testing.T) {
	up := echoUpstream(t)
	p := newPKI(t)
	cl, err := p.ca.Issue(testcert.Options{CommonName: "svc", URIs: []string{"spiffe://example.org/ns/prod/sa/web"}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
    tls: { cert_file: server.crt, key_file: server.key, client_auth: { ca_file: ca.crt, mode: require } }
routes:
  - name: app
    upstream: { targets: [%q] }
    rate_limits: [{ name: strict, key: ip, rate: 1, period: 1h, burst: 1 }]
`, up.URL), p.files)
	if st := do(t, p.client(true, cl.TLS), http.MethodGet, g.url(0)+"/", nil); st != 200 {
		t.Fatalf("with client cert: %d", st)
	}
	if !strings.Contains(g.logs.String(), `"identity":"spiffe://example.org/ns/prod/sa/web"`) {
		t.Errorf("access log lacks the SPIFFE identity")
	}
	// The identity reaches security events too.
	if st := do(t, p.client(true, cl.TLS), http.MethodGet, g.url(0)+"/", nil); st != http.StatusTooManyRequests {
		t.Fatalf("second request: %d, want 429", st)
	}
	evs := g.events.all()
	if len(evs) != 1 || evs[0].Traffic.Identity != "spiffe://example.org/ns/prod/sa/web" || evs[0].Traffic.Action != "rate_limit" {
		t.Errorf("events = %+v", evs)
	}
	if _, err := p.client(true).Get(g.url(0) + "/"); err == nil {
		t.Errorf("request without a client certificate succeeded")
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "want upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		// Echo raw bytes: enough to prove the tunnel carries both ways.
		buf := make([]byte, 4)
		if _, err := io.ReadFull(brw, buf); err == nil {
			_, _ = conn.Write(buf)
		}
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)
	c, err := net.Dial("tcp", g.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	checkUpgradeTunnel(t, c, "app", "ping")
}

func TestStreamingPassThrough(t *testing.T) {
	next := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		http.NewResponseController(w).Flush()
		<-next
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)
	resp, err := plainClient.Get(g.url(0) + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The first event arrives while the upstream still holds the response.
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event = %q, %v", line, err)
	}
	close(next)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: two") {
		t.Errorf("rest = %q", rest)
	}
}

func TestUpstreamMutualTLS(t *testing.T) {
	p := newPKI(t)
	clientLeaf, err := p.ca.Issue(testcert.Options{CommonName: "gateway", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	srvLeaf, err := p.ca.Issue(testcert.Options{CommonName: "origin.internal", DNSNames: []string{"origin.internal"}})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{srvLeaf.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool}
	up.StartTLS()
	t.Cleanup(up.Close)
	files := p.files
	files["gw.crt"], files["gw.key"] = clientLeaf.CertPEM, clientLeaf.KeyPEM
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream:
      targets: [%q]
      tls: { ca_file: ca.crt, cert_file: gw.crt, key_file: gw.key, server_name: origin.internal }
`, up.URL), files)
	resp, err := plainClient.Get(g.url(0) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "gateway" {
		t.Errorf("got %d %q, want 200 and the gateway's client certificate name", resp.StatusCode, body)
	}
}

// TestJA4RateLimitAndDenyList: the fingerprint works as a rate-limit key
// and, after a reload, in deny_ja4.
func TestJA4RateLimitAndDenyList(t *testing.T) {
	up := echoUpstream(t)
	p := newPKI(t)
	cfg := func(deny string) string {
		return fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
    tls: { cert_file: server.crt, key_file: server.key }
deny_ja4: [%s]
routes:
  - name: app
    match: { path_prefix: /limited }
    upstream: { targets: [%[2]q] }
    rate_limits: [{ name: per-ja4, key: ja4, rate: 1, period: 1h, burst: 2 }]
  - name: open
    upstream: { targets: [%[2]q] }
`, deny, up.URL)
	}
	g := startGateway(t, cfg(""), p.files)
	c := p.client(true)
	_, rep := getReply(t, c, mustReq(t, http.MethodGet, g.url(0)+"/open", nil))
	ja4 := http.Header(rep.Headers).Get("X-Rampart-JA4")
	if ja4 == "" {
		t.Fatal("no JA4 upstream")
	}
	var got []int
	for range 3 {
		got = append(got, do(t, c, http.MethodGet, g.url(0)+"/limited", nil))
	}
	if got[0] != 200 || got[1] != 200 || got[2] != http.StatusTooManyRequests {
		t.Errorf("statuses keyed by JA4 = %v, want [200 200 429]", got)
	}
	path := filepath.Join(g.dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg(strconv.Quote(ja4))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadFile(path); err != nil {
		t.Fatal(err)
	}
	if st := do(t, c, http.MethodGet, g.url(0)+"/open", nil); st != http.StatusForbidden {
		t.Errorf("denied JA4: status %d, want 403", st)
	}
}
