package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a reusable ResponseWriter so the benchmark measures the
// gateway and its upstream transport, not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkServeHTTP is one proxied GET through a route without guards:
// the per-request cost of the gateway plus Go's upstream transport.
func BenchmarkServeHTTP(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	}))
	defer up.Close()
	g := startGatewayB(b, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			r := httptest.NewRequest(http.MethodGet, "http://app.test/healthz", nil)
			r.RemoteAddr = "192.0.2.1:1234"
			clear(w.h)
			g.ServeHTTP(w, r)
		}
	})
}
