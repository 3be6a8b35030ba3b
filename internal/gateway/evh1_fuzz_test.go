//go:build linux

package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// FuzzEvloopRequest sends arbitrary bytes to an evloop listener, as a
// client would, and checks the gateway stays up: whatever the loop does
// with them (serve, hand off, refuse, wait), a well-formed request on a
// new connection still gets its 200, and no input panics the process.
func FuzzEvloopRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"\x16\x03\x01\x00\x05hello",
	} {
		f.Add([]byte(s))
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	f.Cleanup(up.Close)
	cfg, err := config.Parse("fuzz.yaml", f.TempDir(), []byte(fmt.Sprintf(`http1_engine: evloop
listen: [{address: "127.0.0.1:0"}]
limits: { read_header_timeout: 1s, idle_timeout: 1s, shutdown_timeout: 1s }
routes: [{name: app, upstream: { targets: [%q] }, timeouts: { response_header: 1s }}]
`, up.URL)))
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, Options{Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		f.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})
	addr := s.Addrs()[0]

	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = c.Write(in)
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c) // until the gateway closes or the deadline
		_ = c.Close()

		// The gateway still serves.
		c, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("after %q: dial: %v", in, err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, "GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("after %q: %v", in, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("after %q: status %d", in, resp.StatusCode)
		}
	})
}
