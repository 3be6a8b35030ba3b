package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/jsonstr"
)

// The access log: one line per request, the gateway's busiest output.
// Through slog's JSONHandler a line cost about 2 µs, a tenth of an
// unguarded request's CPU (docs/benchmarks.md): the record copies its
// attributes, the handler walks them through interfaces and formats the
// duration with encoding/json. When Options.AccessLog is set, the gateway
// appends the same JSON itself into a pooled buffer and writes it there;
// TestAccessLineMatchesSlog and FuzzAccessLine hold the two encodings
// byte for byte equal.

// accessEntry is what a request's log line says.
type accessEntry struct {
	time                      time.Time
	req                       *Request
	method, host, path, proto string
	status                    int
	bytes                     int64
	dur                       time.Duration
}

// attrs is the entry as slog attributes (the path without Options.AccessLog).
func (e *accessEntry) attrs() []slog.Attr {
	req := e.req
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("request_id", req.ID),
		slog.String("route", req.routeName()),
		slog.String("client_ip", req.ClientIP.String()),
		slog.String("method", e.method),
		slog.String("host", e.host),
		slog.String("path", e.path),
		slog.String("proto", e.proto),
		slog.Int("status", e.status),
		slog.Int64("bytes", e.bytes),
		slog.Float64("duration_ms", durationMS(e.dur)),
	)
	if req.TLS != nil {
		attrs = append(attrs, slog.String("ja4", req.TLS.JA4))
		if req.TLS.Identity != "" {
			attrs = append(attrs, slog.String("identity", req.TLS.Identity))
		}
	}
	if len(req.Decisions) > 0 {
		attrs = append(attrs, slog.Any("decisions", req.Decisions))
	}
	return attrs
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// appendJSON appends the entry as slog's JSONHandler writes the record
// "request" at level INFO with attrs(), newline included.
func (e *accessEntry) appendJSON(b []byte) []byte {
	req := e.req
	b = append(b, `{"time":"`...)
	b = e.time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = jsonstr.Append(b, req.ID)
	b = append(b, `,"route":`...)
	b = jsonstr.Append(b, req.routeName())
	b = append(b, `,"client_ip":"`...)
	if req.ClientIP.IsValid() {
		b = req.ClientIP.AppendTo(b) // digits, dots, colons, hex: nothing to escape
	} else {
		b = append(b, "invalid IP"...)
	}
	b = append(b, `","method":`...)
	b = jsonstr.Append(b, e.method)
	b = append(b, `,"host":`...)
	b = jsonstr.Append(b, e.host)
	b = append(b, `,"path":`...)
	b = jsonstr.Append(b, e.path)
	b = append(b, `,"proto":`...)
	b = jsonstr.Append(b, e.proto)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.bytes, 10)
	b = append(b, `,"duration_ms":`...)
	// What encoding/json writes for a float64 in [1e-6, 1e21) or 0; the
	// duration is a whole number of microseconds in milliseconds.
	b = strconv.AppendFloat(b, durationMS(e.dur), 'f', -1, 64)
	if req.TLS != nil {
		b = append(b, `,"ja4":`...)
		b = jsonstr.Append(b, req.TLS.JA4)
		if req.TLS.Identity != "" {
			b = append(b, `,"identity":`...)
			b = jsonstr.Append(b, req.TLS.Identity)
		}
	}
	if len(req.Decisions) > 0 {
		// slog encodes a slice with encoding/json, which writes \b and \f
		// short where jsonstr does not: such a string (never seen in
		// practice) goes through encoding/json.
		b = append(b, `,"decisions":[`...)
		for i, d := range req.Decisions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMarshaled(b, d)
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// appendMarshaled appends s as encoding/json (without HTML escaping) does.
func appendMarshaled(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\b\f") {
		return jsonstr.Append(b, s)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// accessWriter writes encoded lines to Options.AccessLog, one Write each
// (logbuf.Writer keeps lines whole, as it does for slog's).
type accessWriter struct {
	w    io.Writer
	bufs sync.Pool
}

func newAccessWriter(w io.Writer) *accessWriter {
	return &accessWriter{w: w, bufs: sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}}
}

func (a *accessWriter) write(e *accessEntry) {
	bp := a.bufs.Get().(*[]byte)
	*bp = e.appendJSON((*bp)[:0])
	_, _ = a.w.Write(*bp) // as slog: nowhere to report a failing log stream
	if cap(*bp) <= 16<<10 {
		a.bufs.Put(bp)
	}
}
