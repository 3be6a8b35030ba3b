package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

// slogLine is the access line as slog's JSONHandler writes it: the oracle
// of the gateway's own encoder.
func slogLine(t testing.TB, e *accessEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	r := slog.NewRecord(e.time, slog.LevelInfo, "request", 0)
	r.AddAttrs(e.attrs()...)
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatalf("slog: %v", err)
	}
	return buf.Bytes()
}

func TestAccessLineMatchesSlog(t *testing.T) {
	at := time.Date(2026, 11, 24, 7, 32, 37, 120_000_000, time.FixedZone("", 3600))
	named := &route{name: "app"}
	tests := []struct {
		name string
		e    accessEntry
	}{
		{"plain", accessEntry{time: at, req: &Request{ID: "01J0", Route: named, ClientIP: netip.MustParseAddr("203.0.113.7")},
			method: "GET", host: "app.test", path: "/api/items", proto: "HTTP/1.1", status: 200, bytes: 1234, dur: 1234 * time.Microsecond}},
		{"no route, ipv6, streamed, zero duration", accessEntry{time: at.UTC(), req: &Request{ID: "x", ClientIP: netip.MustParseAddr("2001:db8::1")},
			method: "POST", host: "[::1]:8080", path: "/", proto: "HTTP/1.0", status: 404, bytes: -1}},
		{"no client ip", accessEntry{time: at, req: &Request{ID: "y", Route: named}, method: "GET", path: "/", proto: "HTTP/2.0", status: 502}},
		{"escapes", accessEntry{time: at, req: &Request{ID: `a"b\c`, Route: &route{name: "<r&d>"}, ClientIP: netip.MustParseAddr("::ffff:10.0.0.1")},
			method: "G\x00T", host: "h\u2028\u2029", path: "/\xff\xfe/é/\x7f/\t\r\n\x1f", proto: "HTTP/1.1", status: 400, dur: 3 * time.Second}},
		{"tls and decisions", accessEntry{time: at, req: &Request{ID: "z", Route: named, ClientIP: netip.MustParseAddr("127.0.0.1"),
			TLS:       &TLSInfo{JA4: "t13d1516h2_8daaf6152771_02713d6af862", Identity: "spiffe://example.org/ns/a"},
			Decisions: []string{"rate_limit:per-ip (log)", "waf \u2028 <script>", "\b\f"}},
			method: "GET", path: "/", proto: "HTTP/1.1", status: 200, dur: 999_999 * time.Hour}},
		{"tls without identity", accessEntry{time: at, req: &Request{ID: "w", Route: named, TLS: &TLSInfo{JA4: "t12i0000h1_000000000000_000000000000"}},
			method: "GET", path: "/", proto: "HTTP/1.1", status: 200, dur: time.Microsecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := tt.e.appendJSON(nil), slogLine(t, &tt.e)
			if !bytes.Equal(got, want) {
				t.Errorf("access line differs from slog's\n got: %s\nwant: %s", got, want)
			}
			if !json.Valid(got) {
				t.Errorf("not JSON: %s", got)
			}
		})
	}
}

func FuzzAccessLine(f *testing.F) {
	f.Add("GET", "app.test", "/a?b", "id-1", "ja4", int64(1500), int64(10), uint8(0))
	f.Add("P\x00ST", "\xff\u2028", "/\"\\\t\x7f", "", "", int64(-1), int64(0), uint8(7))
	f.Fuzz(func(t *testing.T, method, host, path, id, ja4 string, n, micros int64, flags uint8) {
		req := &Request{ID: id, ClientIP: netip.MustParseAddr("198.51.100.2")}
		if flags&1 != 0 {
			req.Route = &route{name: host}
		}
		if flags&2 != 0 {
			req.TLS = &TLSInfo{JA4: ja4, Identity: path}
		}
		if flags&4 != 0 {
			req.Decisions = []string{method, ja4}
		}
		e := accessEntry{time: time.Unix(0, micros*1000).UTC(), req: req, method: method, host: host, path: path,
			proto: "HTTP/1.1", status: int(n % 600), bytes: n, dur: time.Duration(micros) * time.Microsecond}
		if got, want := e.appendJSON(nil), slogLine(t, &e); !bytes.Equal(got, want) {
			t.Fatalf("access line differs from slog's\n got: %s\nwant: %s", got, want)
		}
	})
}

// BenchmarkAccessLine compares the gateway's encoder with slog's JSONHandler
// for one unguarded request's line.
func BenchmarkAccessLine(b *testing.B) {
	e := accessEntry{time: time.Now(), req: &Request{ID: "0123456789abcdef", Route: &route{name: "bench"},
		ClientIP: netip.MustParseAddr("127.0.0.1")}, method: "GET", host: "bench.example",
		path: "/api/items", proto: "HTTP/1.1", status: 200, bytes: 187, dur: 1234 * time.Microsecond}
	b.Run("gateway", func(b *testing.B) {
		a := newAccessWriter(discard{})
		b.ReportAllocs()
		for b.Loop() {
			a.write(&e)
		}
	})
	b.Run("slog", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(discard{}, nil))
		b.ReportAllocs()
		for b.Loop() {
			l.LogAttrs(context.Background(), slog.LevelInfo, "request", e.attrs()...)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
