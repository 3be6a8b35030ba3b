package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/echo"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
	"github.com/rampart-sec/rampart/internal/gateway/testcert"
)

// TestMain: RAMPART_TEST_HTTP1_ENGINE runs the suite on another default
// HTTP/1.1 engine (make test runs it on both); tests that name an engine
// keep theirs.
func TestMain(m *testing.M) {
	if e := os.Getenv("RAMPART_TEST_HTTP1_ENGINE"); e != "" {
		config.DefaultHTTP1Engine = e
	}
	os.Exit(m.Run())
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// memSink keeps events for assertions.
type memSink struct {
	mu    sync.Mutex
	items []finding.Finding
}

func (m *memSink) Emit(_ context.Context, items ...finding.Finding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items = append(m.items, items...)
	return nil
}

func (m *memSink) all() []finding.Finding {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]finding.Finding(nil), m.items...)
}

type gw struct {
	*Server
	logs   *syncBuffer
	events *memSink
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// startGateway runs a gateway for src (addresses should use port 0) with
// files written into its config directory first.
func startGateway(t *testing.T, src string, files map[string][]byte) *gw {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return startConfig(t, cfg, dir)
}

// startGatewayB builds a gateway for a benchmark without listening.
func startGatewayB(b *testing.B, src string) *Server {
	b.Helper()
	cfg, err := config.Parse("bench.yaml", b.TempDir(), []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	s, err := New(ctx, cfg, Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// startConfig runs a gateway for an already loaded config.
func startConfig(t *testing.T, cfg *config.Config, dir string) *gw {
	t.Helper()
	var err error
	logs := &syncBuffer{}
	g := &gw{logs: logs, events: &memSink{}, dir: dir, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.Server, err = New(ctx, cfg, Options{
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Metrics: metrics.New(),
		Events:  g.events,
	})
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	if err := g.Listen(); err != nil {
		cancel()
		t.Fatalf("Listen: %v", err)
	}
	go func() { g.done <- g.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-g.done:
		case <-time.After(20 * time.Second):
			t.Error("gateway did not stop")
		}
		if t.Failed() {
			t.Logf("gateway logs:\n%s", tail(logs.String(), 4000))
		}
	})
	return g
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// url is the base URL of listener i.
func (g *gw) url(i int) string {
	scheme := "http"
	if g.listen[i].TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + g.Addrs()[i]
}

// echoUpstream is an httptest server answering with echo.Reply.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(echo.Handler())
	t.Cleanup(s.Close)
	return s
}

func getReply(t *testing.T, c *http.Client, req *http.Request) (*http.Response, echo.Reply) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var rep echo.Reply
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("decode echo reply %q: %v", body, err)
		}
	}
	return resp, rep
}

func mustReq(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pki is a CA with a server certificate for 127.0.0.1/localhost written
// as ca.crt, server.crt and server.key.
type pki struct {
	ca    *testcert.CA
	files map[string][]byte
	pool  *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := testcert.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Issue(testcert.Options{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, files: map[string][]byte{"ca.crt": ca.PEM, "server.crt": srv.CertPEM, "server.key": srv.KeyPEM}, pool: x509.NewCertPool()}
	p.pool.AddCert(ca.Cert)
	return p
}

func (p *pki) client(h2 bool, certs ...tls.Certificate) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: p.pool, Certificates: certs},
		ForceAttemptHTTP2: h2,
	}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

var plainClient = &http.Client{Timeout: 10 * time.Second}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// checkUpgradeTunnel sends a WebSocket upgrade for /ws with Host host on c,
// wants 101, then writes "ping" and wants echo back through the tunnel.
func checkUpgradeTunnel(t *testing.T, c net.Conn, host, echo string) {
	t.Helper()
	_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: "+host+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read upgrade response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	_, _ = io.WriteString(c, "ping")
	buf := make([]byte, len(echo))
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != echo {
		t.Errorf("tunnel echo = %q, %v; want %q", buf, err, echo)
	}
}
