// Package echo is a tiny upstream for trying and benchmarking the gateway:
// it answers every request with the request's method, path, headers and
// peer as JSON, so users can see what the gateway forwarded.
package echo

import (
	"encoding/json"
	"net/http"
)

// Reply is what the echo server writes.
type Reply struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Query      string              `json:"query,omitempty"`
	Host       string              `json:"host"`
	Proto      string              `json:"proto"`
	RemoteAddr string              `json:"remote_addr"`
	Headers    map[string][]string `json:"headers"`
}

// Handler echoes requests; GET /healthz answers "ok" for health checks.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = w.Write([]byte("ok\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// Origin-identifying headers a real application might send; the
		// gateway strips them (strip_response_headers).
		w.Header().Set("Server", "rampart-echo")
		w.Header().Set("X-Powered-By", "rampart-echo")
		_ = json.NewEncoder(w).Encode(Reply{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
			Proto: r.Proto, RemoteAddr: r.RemoteAddr, Headers: r.Header,
		})
	})
}
