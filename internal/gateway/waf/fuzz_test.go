package waf

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzWrap feeds arbitrary requests (as net/http parses them from the wire)
// through the WAF in block mode with response inspection, checking that it
// never panics and always answers with the upstream's status or one of its
// own (403, 400 for an unparsable body, 413, 500).
func FuzzWrap(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /search?q=1%27%20OR%201=1-- HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=b&c=d",
		"POST /j HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":[1,",
		"POST /m HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 60\r\n\r\n--x\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--x--\r\n",
		"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: text/xml\r\n\r\n5\r\n<a><b\r\n0\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	w, err := New(context.Background(), Config{InspectResponse: true, BodyLimit: 4096}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = w.Close() })
	h := w.Wrap(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rw.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(rw, "<html>ok</html>")
	}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // net/http would have refused it before any handler
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		switch rr.Code {
		case http.StatusOK, http.StatusForbidden, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d for %q", rr.Code, raw)
		}
	})
}
