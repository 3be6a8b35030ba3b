package proxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

const (
	// fastMaxConns bounds a target's connections, idle or busy. The net/http
	// transport has no such bound (max_idle_conns limits only idle ones)
	// and fasthttp fails a request with ErrNoFreeConns past it, so it is
	// set out of reach: max_in_flight is the concurrency limit. Idle
	// connections are closed after fastIdle.
	fastMaxConns = 1 << 16
	fastIdle     = 90 * time.Second
	// noTimeout is a deadline far enough away never to fire. The host
	// client always has a write and read timeout so that fasthttp calls
	// SetWriteDeadline and SetReadDeadline for every request (see upConn).
	noTimeout = 100 * 365 * 24 * time.Hour
	// fastHeaderMax is the largest upstream response header accepted.
	fastHeaderMax = 64 << 10
	// maxStale bounds how many stale idle connections one attempt skips.
	maxStale = 32
)

// newHostClient builds t's fasthttp connection pool for ServeFast.
func newHostClient(t *Target, to config.Timeouts, tc *tls.Config) *fasthttp.HostClient {
	addr := t.URL.Host
	if t.URL.Port() == "" {
		port := "80"
		if t.https {
			port = "443"
		}
		addr = net.JoinHostPort(t.URL.Hostname(), port)
	}
	var ttc *tls.Config
	if t.https {
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		// A copy: the net/http transport adds h2 to its config's NextProtos,
		// and fasthttp speaks only HTTP/1.1.
		ttc = tc.Clone()
		ttc.NextProtos = nil
		if ttc.ServerName == "" {
			ttc.ServerName = t.URL.Hostname()
		}
	}
	connect, header := to.Connect, to.ResponseHeader
	return &fasthttp.HostClient{
		Addr:  addr,
		IsTLS: t.https,
		// dialUpstream does the TLS handshake with ttc; TLSConfig is unused.
		Dial: func(addr string) (net.Conn, error) {
			return dialUpstream(addr, connect, header, ttc)
		},
		MaxConns: fastMaxConns,
		// The read buffer bounds the upstream's response header (4 KiB by
		// default, too small for big Set-Cookie or CSP headers); it is
		// pooled, held only while a response is read.
		ReadBufferSize:      fastHeaderMax,
		MaxIdleConnDuration: fastIdle,
		// LIFO reuses the most recently used connection, the least likely
		// to have been closed by the upstream's keep-alive timeout.
		ConnPoolStrategy: fasthttp.LIFO,
		// Retries are the pool's business (other targets, replayable
		// requests only) and stale connections are ServeFast's; fasthttp
		// itself never sends a request twice.
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                noRetry,
		ReadTimeout:               noTimeout,
		WriteTimeout:              noTimeout,
		NoDefaultUserAgentHeader:  true,
		DisablePathNormalizing:    true,
		StreamResponseBody:        true,
	}
}

func noRetry(*fasthttp.Request, int, error) (resetTimeout, retry bool) { return false, false }

// ServeFast forwards ctx's request to a target and writes the upstream's
// response into ctx.Response; the body streams after ServeFast returns.
// The request is neither an Upgrade nor CONNECT (the caller's guarantee).
//
// Timeouts, as fasthttp allows them:
//   - Connect bounds each new connection: TCP dial and TLS handshake.
//   - ResponseHeader bounds the wait from the end of writing the request
//     (body included) to the first byte of the response; past that byte
//     only Total applies (net/http bounds until the whole header).
//   - Total is a deadline set when ServeFast starts, after any wait in the
//     load-shedding queue, shared by all attempts. It bounds waiting for a
//     connection, writing the request (a streamed upload too) and reading
//     the response, the body included, which the server writes to the
//     client after ServeFast has returned; past it the body is cut off.
//     It does not bound writes to a slow client: those are the fasthttp
//     server's WriteTimeout.
//
// fasthttp does not tell a handler that its client has gone, so the 499 of
// the net/http path never happens here; a gone client shows only as a
// failed write of the response.
func (p *Pool) ServeFast(ctx *fasthttp.RequestCtx) {
	held := false
	if p.sem != nil {
		if !p.acquire(ctx) {
			p.m.Shed.WithLabelValues(p.route).Inc()
			ctx.Error("upstream busy", fasthttp.StatusServiceUnavailable) // resets headers
			ctx.Response.Header.Set("Retry-After", "1")
			return
		}
		held = true
	}
	var deadline time.Time
	if p.total > 0 {
		deadline = time.Now().Add(p.total)
	}
	out := fasthttp.AcquireRequest()
	replay := p.outbound(ctx, out)
	resp := fasthttp.AcquireResponse()
	t, err := p.roundTripFast(out, resp, deadline, replay)
	// out's body stream is the client's request stream, which the server
	// owns: releasing out only drops the reference.
	fasthttp.ReleaseRequest(out)
	if err != nil {
		fasthttp.ReleaseResponse(resp)
		if held {
			<-p.sem
		}
		p.fastError(ctx, err, deadline)
		return
	}
	p.respond(ctx, t, resp, held)
}

// outbound fills out from ctx's request and reports whether it may be sent
// again (replayable).
func (p *Pool) outbound(ctx *fasthttp.RequestCtx, out *fasthttp.Request) bool {
	in := &ctx.Request
	in.Header.CopyTo(&out.Header)
	// The Host header goes out as the client sent it, not from the URI.
	out.UseHostHeader = true
	out.Header.SetNoDefaultContentType(true)
	// Expect is in the list: the front server has already answered
	// "Expect: 100-continue" and streams the body; the upstream need not
	// be asked again.
	dropRequestHeaders(&in.Header, &out.Header, p.dropRequest)
	if te := in.Header.Peek("Te"); hasToken(te, strTrailers) {
		// Like httputil.ReverseProxy: "Te: trailers" is end-to-end enough.
		out.Header.Set("Te", "trailers")
	}
	if p.rewriteFast != nil {
		p.rewriteFast(ctx, out)
	}
	replay := true
	switch {
	case in.IsBodyStream() && in.Header.ContentLength() != 0:
		// -1 is chunked; a known length goes out as Content-Length.
		out.SetBodyStream(in.BodyStream(), in.Header.ContentLength())
		replay = false
	case !in.IsBodyStream():
		if b := in.Body(); len(b) > 0 {
			out.SetBodyRaw(b)
		}
	}
	return replay && Idempotent(string(in.Header.Method()))
}

// roundTripFast is balancer.RoundTrip for ServeFast.
func (p *Pool) roundTripFast(out *fasthttp.Request, resp *fasthttp.Response, deadline time.Time, replay bool) (*Target, error) {
	tr := p.tries(replay)
	var err error
	for {
		t, done := tr.next(err)
		if t == nil {
			return nil, done
		}
		// HostClient checks the scheme against IsTLS; the URI is not sent
		// (DisablePathNormalizing keeps the client's raw path and query).
		if t.https {
			out.URI().SetSchemeBytes(strHTTPS)
		} else {
			out.URI().SetSchemeBytes(strHTTP)
		}
		start := time.Now()
		if err = doFast(t.fast, out, resp, deadline, replay); err != nil {
			// The route's total timeout is not the target's fault (see
			// balancer.RoundTrip).
			timedOut := !deadline.IsZero() && !time.Now().Before(deadline)
			tr.failed(t, !timedOut)
			if timedOut {
				return nil, err
			}
			continue
		}
		tr.done(t, start, resp.StatusCode())
		return t, nil
	}
}

// doFast sends out to one target. It skips idle connections the upstream
// closed: errStaleConn comes before anything is written or read, so even a
// POST with a streamed body is intact. And like net/http's transport it
// sends a replayable request once more when its connection broke before
// any response: the upstream can close a keep-alive connection just after
// the stale check, a race no proxy can close.
func doFast(hc *fasthttp.HostClient, out *fasthttp.Request, resp *fasthttp.Response, deadline time.Time, replay bool) error {
	var err error
	for range maxStale {
		if deadline.IsZero() {
			err = hc.Do(out, resp)
		} else {
			err = hc.DoDeadline(out, resp, deadline)
		}
		switch {
		case errors.Is(err, errStaleConn):
		case replay && connLost(err):
			replay = false
		default:
			return err
		}
	}
	return err
}

// connLost: the connection closed or reset before a response (fasthttp
// reports an EOF before the first response byte as ErrConnectionClosed).
func connLost(err error) bool {
	return errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// respond copies the upstream's response into ctx.Response and hands it the
// body stream, whose Close ends the exchange.
func (p *Pool) respond(ctx *fasthttp.RequestCtx, t *Target, resp *fasthttp.Response, held bool) {
	h := &ctx.Response.Header
	resp.Header.CopyTo(h)
	h.SetNoDefaultContentType(true)
	// Deleting Connection also drops the upstream's "close": that is about
	// the upstream connection, not the client's.
	dropResponseHeaders(&resp.Header, h, p.dropResponse)
	status := resp.StatusCode()
	stream := resp.BodyStream()
	if stream == nil || ctx.IsHead() || status == fasthttp.StatusNoContent || status == fasthttp.StatusNotModified || status < 200 {
		// No body. The upstream's Content-Length (of a HEAD) stays.
		ctx.Response.SkipBody = true
		fasthttp.ReleaseResponse(resp)
		p.endFast(t, held)
		return
	}
	if bytes.HasPrefix(h.ContentType(), strEventStream) {
		// An event stream may stay silent for long after its header; the
		// client's EventSource opens on the header alone.
		ctx.Response.ImmediateHeaderFlush = true
	}
	b := fastBodies.Get().(*fastBody)
	b.p, b.t, b.resp, b.r, b.held = p, t, resp, stream, held
	// SetBodyStream sets Content-Length: a known length is kept, -1 and
	// -2 (until close) go out chunked, each chunk flushed.
	ctx.Response.SetBodyStream(b, resp.Header.ContentLength())
}

// endFast ends an exchange: in-flight count and load-shedding token.
func (p *Pool) endFast(t *Target, held bool) {
	if p.leastConn {
		t.inflight.Add(-1)
	}
	if held {
		<-p.sem
	}
}

// fastBody is the response body stream handed to the fasthttp server, which
// closes it after writing (or when it gives up on the client).
type fastBody struct {
	p    *Pool
	t    *Target
	resp *fasthttp.Response
	r    io.Reader
	held bool
}

var fastBodies = sync.Pool{New: func() any { return new(fastBody) }}

func (b *fastBody) Read(p []byte) (int, error) { return b.r.Read(p) }

// CloseWithError releases the upstream response; an error or an unread
// body closes the upstream connection instead of reusing it.
func (b *fastBody) CloseWithError(err error) error {
	if b.p == nil {
		return nil
	}
	if c, ok := b.r.(fasthttp.ReadCloserWithError); ok {
		_ = c.CloseWithError(err)
	}
	fasthttp.ReleaseResponse(b.resp)
	b.p.endFast(b.t, b.held)
	*b = fastBody{}
	fastBodies.Put(b)
	return nil
}

func (p *Pool) fastError(ctx *fasthttp.RequestCtx, err error, deadline time.Time) {
	status := fasthttp.StatusBadGateway
	switch {
	case errors.Is(err, ErrNoTarget):
		status = fasthttp.StatusServiceUnavailable
		ctx.Response.Header.Set("Retry-After", "5")
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err),
		!deadline.IsZero() && !time.Now().Before(deadline):
		status = fasthttp.StatusGatewayTimeout
	}
	p.log.LogAttrs(ctx, slog.LevelWarn, "upstream error",
		slog.String("route", p.route), slog.Int("status", status), slog.String("err", err.Error()))
	ctx.Response.SetStatusCode(status)
}

// hopHeaders are removed in both directions (RFC 9110 7.6.1), as
// httputil.ReverseProxy does, with Connection and the headers it names
// (dropRequestHeaders); a request's "Te: trailers" is restored.
var hopHeaders = [...]string{
	"Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// dropRequest is what every forwarded request loses.
var dropRequest = append(hopHeaders[:len(hopHeaders):len(hopHeaders)], "Expect")

// headerDeleter is a fasthttp RequestHeader or ResponseHeader.
type headerDeleter interface {
	Del(string)
	DelBytes([]byte)
}

// dropRequestHeaders deletes from dst, a copy of src, src's Connection
// header, the headers that names, and every header in names. It looks at
// src's fields once and deletes only what is there: a fasthttp Del
// normalizes its key and scans every field, and a Del per name in the
// lists cost more than all the rest of the header handling. (Two twins,
// not one function over an iterator: ranging over an iterator of unknown
// origin moves the loop's state to the heap.)
func dropRequestHeaders(src, dst *fasthttp.RequestHeader, names []string) {
	var d dropList
	for k, v := range src.All() {
		d.see(dst, k, v, names)
	}
	d.apply(dst)
}

// dropResponseHeaders is dropRequestHeaders for responses.
func dropResponseHeaders(src, dst *fasthttp.ResponseHeader, names []string) {
	var d dropList
	for k, v := range src.All() {
		d.see(dst, k, v, names)
	}
	d.apply(dst)
}

// dropList collects the names found in a header.
type dropList struct {
	found [8]string
	n     int
	more  []string
}

func (d *dropList) see(dst headerDeleter, k, v []byte, names []string) {
	if asciiEqualFold(k, "Connection") {
		delTokens(dst, v)
		return
	}
	for _, name := range names {
		if asciiEqualFold(k, name) {
			if d.n < len(d.found) {
				d.found[d.n] = name
				d.n++
			} else {
				d.more = append(d.more, name)
			}
			return
		}
	}
}

func (d *dropList) apply(dst headerDeleter) {
	// Always: fasthttp keeps "Connection: close" as a flag.
	dst.Del("Connection")
	for _, name := range d.found[:d.n] {
		dst.Del(name)
	}
	for _, name := range d.more {
		dst.Del(name)
	}
}

// asciiEqualFold is bytes.EqualFold for a header name against a string,
// without converting either.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if l := x | 0x20; l != y|0x20 || l < 'a' || l > 'z' {
			return false
		}
	}
	return true
}

var (
	strTrailers    = []byte("trailers")
	strEventStream = []byte("text/event-stream")
	strHTTP        = []byte("http")
	strHTTPS       = []byte("https")
)

// delTokens deletes the headers a Connection header value lists.
func delTokens(h interface{ DelBytes([]byte) }, v []byte) {
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			tok, v = v, nil
		}
		if tok = bytes.TrimSpace(tok); len(tok) > 0 {
			h.DelBytes(tok)
		}
	}
}

// hasToken reports whether the comma-separated list v holds tok.
func hasToken(v, tok []byte) bool {
	for len(v) > 0 {
		var t []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, nil
		}
		if bytes.EqualFold(bytes.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}
