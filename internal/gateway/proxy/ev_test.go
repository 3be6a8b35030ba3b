package proxy

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

func evPool(t testing.TB) *Pool {
	return newPool(t, config.Upstream{Targets: []string{"http://127.0.0.1:1"}},
		Options{DropRequest: []string{"X-Request-Id"}, StripResponse: []string{"Server", "X-Powered-By"}})
}

func TestEvented(t *testing.T) {
	for _, tc := range []struct {
		targets  []string
		inflight int
		want     bool
	}{
		{[]string{"http://127.0.0.1:9000", "http://[::1]:80"}, 0, true},
		{[]string{"http://localhost:9000"}, 0, true},
		{[]string{"http://10.0.0.1"}, 0, true},
		{[]string{"http://app.internal:9000"}, 0, false}, // a lookup would block the loop
		{[]string{"https://127.0.0.1:9443"}, 0, false},
		{[]string{"http://127.0.0.1:9000"}, 10, false}, // the shedding queue waits
	} {
		p := newPool(t, config.Upstream{Targets: tc.targets, MaxInFlight: tc.inflight}, Options{})
		if got := p.Evented(); got != tc.want {
			t.Errorf("%v (max_in_flight %d): Evented = %v, want %v", tc.targets, tc.inflight, got, tc.want)
		}
	}
}

func TestAppendOutbound(t *testing.T) {
	p := evPool(t)
	var h fasthttp.RequestHeader
	raw := "POST /a?b=c HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n" +
		"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTe: trailers, deflate\r\n" +
		"Proxy-Authorization: secret\r\nX-Request-Id: client-chosen\r\nX-Custom: v\r\n\r\n"
	if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	out := string(p.AppendOutbound(nil, &h)) + "\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(out)))
	if err != nil {
		t.Fatalf("outbound does not parse: %v\n%s", err, out)
	}
	if req.Method != "POST" || req.RequestURI != "/a?b=c" || req.Host != "example.com" || req.ContentLength != 3 {
		t.Errorf("request line or framing changed:\n%s", out)
	}
	for _, gone := range []string{"Connection", "X-Hop", "Keep-Alive", "Proxy-Authorization", "X-Request-Id"} {
		if v := req.Header.Values(gone); len(v) > 0 {
			t.Errorf("%s forwarded: %q", gone, v)
		}
	}
	if got := req.Header.Values("Te"); len(got) != 1 || got[0] != "trailers" {
		t.Errorf("Te = %q, want [trailers]", got)
	}
	if req.Header.Get("X-Custom") != "v" {
		t.Errorf("X-Custom lost:\n%s", out)
	}
}

func TestAppendResponseHead(t *testing.T) {
	p := evPool(t)
	for _, tc := range []struct {
		name, raw string
		want      *ResponseHead // nil: refused
		keep      []string      // field lines that must pass
		gone      []string      // field names that must not
	}{
		{name: "fields kept in their spelling", want: &ResponseHead{Status: 200, Length: 2},
			raw:  "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Mixed-Case: a\r\nContent-Length: 2\r\n\r\n",
			keep: []string{"content-type: text/plain", "X-Mixed-Case: a"}},
		{name: "hop-by-hop, Connection-named and stripped fields dropped", want: &ResponseHead{Status: 404, Length: BodyToClose, Close: true},
			raw:  "HTTP/1.1 404 Not Found\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: x\r\nServer: origin/1.0\r\nX-Powered-By: php\r\nX-Request-Id: upstream\r\nVary: Accept\r\nConnection: x-other\r\nX-Other: 2\r\nUpgrade: h2c\r\n\r\n",
			keep: []string{"Vary: Accept"}, gone: []string{"Connection", "X-Secret", "X-Other", "Keep-Alive", "Upgrade", "Server", "X-Powered-By", "X-Request-Id"}},
		{name: "no reason phrase", want: &ResponseHead{Status: 204, Length: BodyToClose}, raw: "HTTP/1.1 204\r\n\r\n"},
		{name: "chunked", want: &ResponseHead{Status: 200, Length: BodyChunked},
			raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\n\r\n", gone: []string{"Transfer-Encoding"}},
		{name: "chunked and Content-Length: chunked wins, the connection ends", want: &ResponseHead{Status: 200, Length: BodyChunked, Close: true},
			raw: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "repeated equal Content-Length", want: &ResponseHead{Status: 200, Length: 7},
			raw: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\ncontent-length:7\r\n\r\n"},
		{name: "HTTP/1.0 closes", want: &ResponseHead{Status: 200, Length: 1, Close: true},
			raw: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"},
		{name: "HTTP/1.0 keep-alive", want: &ResponseHead{Status: 200, Length: 1},
			raw: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n"},
		{name: "interim", want: &ResponseHead{Status: 103, Length: BodyToClose}, raw: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"},
		{name: "differing Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n"},
		{name: "Content-Length list", raw: "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n"},
		{name: "signed Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: +7\r\n\r\n"},
		{name: "empty Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"},
		{name: "huge Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"},
		{name: "gzip coding", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
		{name: "chunked twice", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "chunked in HTTP/1.0", raw: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{name: "bare LF", raw: "HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n"},
		{name: "no blank line", raw: "HTTP/1.1 200 OK\r\nA: b\r\n"},
		{name: "obs-fold", raw: "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n"},
		{name: "control character", raw: "HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n"},
		{name: "name not a token", raw: "HTTP/1.1 200 OK\r\nA b: c\r\n\r\n"},
		{name: "no colon", raw: "HTTP/1.1 200 OK\r\nAb\r\n\r\n"},
		{name: "bad status line", raw: "HTTP/1.1 20 OK\r\n\r\n"},
		{name: "status below 100", raw: "HTTP/1.1 099 OK\r\n\r\n"},
		{name: "not HTTP/1", raw: "HTTP/2 200 OK\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, got, err := p.AppendResponseHead([]byte("kept"), []byte(tc.raw), "X-Request-Id")
			if (err == nil) != (tc.want != nil) {
				t.Fatalf("err = %v, want refused %v", err, tc.want == nil)
			}
			if err != nil {
				if string(out) != "kept" {
					t.Errorf("refused head left %q in dst, want it as it was", out)
				}
				return
			}
			if diff := cmp.Diff(*tc.want, got); diff != "" {
				t.Errorf("head (-want +got):\n%s", diff)
			}
			out = bytes.TrimPrefix(out, []byte("kept"))
			if !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) || bytes.Contains(bytes.ToLower(out), []byte("content-length")) {
				t.Errorf("status line %q", out)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(out, "Content-Length: 0\r\n\r\n"...))), nil)
			if err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
			for _, l := range tc.keep {
				if !bytes.Contains(out, []byte("\r\n"+l+"\r\n")) {
					t.Errorf("%q not passed on:\n%s", l, out)
				}
			}
			for _, g := range tc.gone {
				if _, ok := resp.Header[http.CanonicalHeaderKey(g)]; ok {
					t.Errorf("%s passed on:\n%s", g, out)
				}
			}
		})
	}
}

// FuzzAppendResponseHead: whatever an upstream sends, the head the loop
// passes on is well formed (Go's strict reader takes it) and carries no
// framing or hop-by-hop field; what the loop accepts, net/http's reader
// accepts too, with the same status and framing; and nothing panics.
func FuzzAppendResponseHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nA: b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: X\r\nX: 1\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.0 301 Moved\r\nLocation: /x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\n\r\n",
	} {
		f.Add([]byte(s))
	}
	p := evPool(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, rh, err := p.AppendResponseHead(nil, raw, "X-Request-Id")
		if err != nil {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(out, "Content-Length: 0\r\n\r\n"...))), nil)
		if err != nil {
			t.Fatalf("accepted %q, emitted %q, which net/http rejects: %v", raw, out, err)
		}
		for _, k := range []string{"Transfer-Encoding", "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade", "X-Request-Id"} {
			if _, ok := resp.Header[k]; ok {
				t.Fatalf("accepted %q, passed on %s: %q", raw, k, out)
			}
		}
		if n := len(resp.Header.Values("Content-Length")); n != 1 {
			t.Fatalf("accepted %q, %d Content-Length fields out: %q", raw, n, out)
		}
		// The oracle: net/http's reader of the upstream's own head (the
		// head alone: a body could only follow it).
		end := bytes.Index(raw, []byte("\r\n\r\n"))
		want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw[:end+4])), nil)
		if err != nil {
			t.Fatalf("accepted %q, which net/http rejects: %v", raw, err)
		}
		if want.StatusCode != rh.Status {
			t.Fatalf("%q: status %d, net/http %d", raw, rh.Status, want.StatusCode)
		}
		if want.Close && !rh.Close && rh.Length != BodyToClose {
			t.Fatalf("%q: keeps the connection, net/http closes it", raw)
		}
		if s := rh.Status; s < 200 || s == http.StatusNoContent || s == http.StatusNotModified {
			return // no body, whatever the framing says
		}
		switch chunked := len(want.TransferEncoding) > 0; {
		case rh.Length == BodyChunked:
			if !chunked {
				t.Fatalf("%q: chunked, net/http not (%v)", raw, want.TransferEncoding)
			}
		case chunked:
			t.Fatalf("%q: framing %d, net/http chunked", raw, rh.Length)
		case rh.Length == BodyToClose:
			if want.ContentLength != -1 {
				t.Fatalf("%q: body to the close, net/http Content-Length %d", raw, want.ContentLength)
			}
		case want.ContentLength != rh.Length:
			t.Fatalf("%q: Content-Length %d, net/http %d", raw, rh.Length, want.ContentLength)
		}
	})
}
