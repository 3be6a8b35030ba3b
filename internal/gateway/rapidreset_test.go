package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestRapidReset checks the HTTP/2 rapid-reset mitigation the gateway
// relies on (Go's server, CVE-2023-44487): a client that opens streams and
// resets them at once gets no more than h2_max_concurrent_streams handlers
// at a time, and a flood is cut off with GOAWAY.
func TestRapidReset(t *testing.T) {
	// Handlers are counted in the gateway itself. The upstream also sees
	// requests the gateway has already cancelled (it notices a closed
	// connection late: CI runs under the race detector saw 12 and 21 there
	// with a limit of 8), so its count is only logged.
	var handlers, handlerPeak atomic.Int64
	hook := func(delta int) { maxInto(&handlerPeak, handlers.Add(int64(delta))) }
	testHookServe.Store(&hook)
	t.Cleanup(func() { testHookServe.Store(nil) })
	var running, peak, total atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		maxInto(&peak, running.Add(1))
		defer running.Add(-1)
		total.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0", h2c: true}]
limits: { h2_max_concurrent_streams: 8 }
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)

	c, err := net.Dial("tcp", g.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	const streams = 2000
	sent := 0
	for i := range streams {
		hb.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "app"}, {":path", "/r" + strconv.Itoa(i)}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		id := uint32(2*i + 1)
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
			break // the server closed the connection
		}
		if err := fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
			break
		}
		sent++
	}
	// Read until the server says GOAWAY or closes.
	goaway := false
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		if _, ok := f.(*http2.GoAwayFrame); ok {
			goaway = true
			break
		}
	}
	// Go's server runs at most h2_max_concurrent_streams (8) handlers at
	// once and queues the rest; without the setting it would run 250.
	if p := handlerPeak.Load(); p > 8 {
		t.Errorf("peak concurrent handlers = %d, want at most h2_max_concurrent_streams (8)", p)
	}
	if handlerPeak.Load() == 0 {
		t.Errorf("no handler ran: the hook did not count anything")
	}
	t.Logf("sent %d HEADERS+RST_STREAM pairs; %d handlers at most at once; upstream saw %d requests (peak %d concurrent); GOAWAY=%v",
		sent, handlerPeak.Load(), total.Load(), peak.Load(), goaway)
	if total.Load() >= int64(sent) && !goaway {
		t.Errorf("every reset stream reached the upstream and the connection was not closed")
	}
}

// maxInto raises m to n if n is larger.
func maxInto(m *atomic.Int64, n int64) {
	for {
		p := m.Load()
		if n <= p || m.CompareAndSwap(p, n) {
			return
		}
	}
}
