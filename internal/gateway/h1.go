package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/rampart-sec/rampart/internal/gateway/h1frame"
)

// The fasthttp front end (http1_engine: fasthttp). A proxy on net/http
// pays for a server and then for a client: in the bench, Go's HTTP server
// alone costs what nginx's whole proxy does (docs/benchmarks.md). fasthttp
// parses HTTP/1.1 and forwards without net/http's per-request goroutine
// hand-offs and allocations.
//
// Requests on routes without a WAF are served natively (serveNative):
// the route's guards run on the fasthttp request (through Request's
// methods, the same guard code as on the net/http path) and
// proxy.Pool.ServeFast forwards it. Everything else (the WAF, WebSocket
// upgrades, absolute-form URIs, requests no route matches) goes through
// fasthttpadaptor to the same net/http handler HTTP/2 uses.
//
// Request bodies are buffered up to limits.max_body_bytes (fasthttp reads
// them before the handler), as nginx does with proxy_request_buffering.

// DefaultBufferedBody bounds request bodies under the fasthttp engine when
// limits.max_body_bytes is 0: buffered bodies cannot be unbounded.
const DefaultBufferedBody = 16 << 20

// defaultBodyTimeout bounds reading a body when limits.read_timeout is 0
// (net/http would wait forever; a buffered body holds memory meanwhile).
const defaultBodyTimeout = 5 * time.Minute

// bufferedBodyLimit is limits.max_body_bytes, or DefaultBufferedBody when
// unset: the largest body the fasthttp engine buffers, and the evloop
// engine serves itself.
func (s *Server) bufferedBodyLimit() int64 {
	if m := s.limits.MaxBodyBytes; m != 0 {
		return m
	}
	return DefaultBufferedBody
}

func (s *Server) newFastServer() *fasthttp.Server {
	l := s.limits
	maxBody := s.bufferedBodyLimit()
	bodyTimeout := l.ReadTimeout
	if bodyTimeout == 0 {
		bodyTimeout = defaultBodyTimeout
	}
	slow := fasthttpadaptor.NewFastHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Make the request look as net/http's server would: Host only in
		// r.Host (a copy in the header map is a second Host to the WAF),
		// and the buffered body sent with its length.
		delete(r.Header, "Host")
		r.TransferEncoding = nil
		// Not the fasthttp.RequestCtx as the context: fasthttp reuses it
		// once the handler returns, while net/http's Transport may still
		// consult contexts derived from it.
		ctx := context.Background()
		if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok {
			ctx = context.WithValue(ctx, connKey{}, ci)
		}
		s.ServeHTTP(w, r.WithContext(ctx))
	}))
	return &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if status, why := checkH1(&ctx.Request.Header); status != 0 {
				s.refuse(ctx, status, why)
				return
			}
			if s.serveNative(ctx) {
				return
			}
			h := &ctx.Request.Header
			if string(h.Method()) == http.MethodOptions && string(h.RequestURI()) == "*" {
				// What net/http's server answers itself.
				ctx.Response.Header.SetContentLength(0)
				return
			}
			slow(ctx)
		},
		ErrorHandler: s.fastError,
		// ReadTimeout bounds the request header from its first byte (the
		// connection's start for the first request); HeaderReceived then
		// moves the deadline for the body.
		ReadTimeout: l.ReadHeaderTimeout,
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if cl := h.ContentLength(); cl == 0 || cl == -2 {
				// No body (-2: neither Content-Length nor chunked, which
				// fasthttp reads as none for a request): nothing more to
				// read, and a deadline set per request costs a timer update.
				return fasthttp.RequestConfig{}
			}
			return fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
		},
		WriteTimeout: l.WriteTimeout,
		IdleTimeout:  l.IdleTimeout,
		// The whole header block must fit the read buffer: that buffer is
		// the header size limit.
		ReadBufferSize:               l.MaxHeaderBytes,
		MaxRequestBodySize:           int(min(maxBody, int64(^uint(0)>>1))),
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true,
		Logger:                       fastLogger{s.log},
	}
}

// fastLogger sends fasthttp's own messages to slog.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.log.Warn("http1: " + fmt.Sprintf(format, args...))
}

// checkH1 refuses what fasthttp's parser lets through but net/http's does
// not, where an upstream could read the message differently: request
// lines that are not HTTP/1.0 or 1.1, header lines with bare LF, obs-fold
// continuations, names that are not tokens, control characters in values,
// and any transfer coding but chunked (fasthttp drops "identity" and
// frames by Content-Length). It reads the raw header block fasthttp kept.
func checkH1(h *fasthttp.RequestHeader) (status int, why string) {
	if p := string(h.Protocol()); p != "HTTP/1.1" && p != "HTTP/1.0" {
		return http.StatusHTTPVersionNotSupported, "version"
	}
	raw := h.RawHeaders()
	badTE := false
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			i = len(raw)
		}
		line := raw[:i]
		raw = raw[min(i+1, len(raw)):]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return http.StatusBadRequest, "bare LF"
		}
		line = line[:len(line)-1]
		if len(line) == 0 {
			continue
		}
		name, value, why := h1frame.FieldLine(line)
		if why != "" {
			return http.StatusBadRequest, why
		}
		if bytes.EqualFold(name, []byte("Transfer-Encoding")) &&
			!bytes.EqualFold(bytes.Trim(value, " \t"), []byte("chunked")) {
			badTE = true // 501 unless a later line is a 400
		}
	}
	if badTE {
		return http.StatusNotImplemented, "transfer-encoding"
	}
	return 0, ""
}

// refuse answers a request the gateway will not forward and closes the
// connection: after a framing error nothing further on it can be trusted.
func (s *Server) refuse(ctx *fasthttp.RequestCtx, status int, why string) {
	ctx.Error(http.StatusText(status), status)
	ctx.SetConnectionClose()
	s.log.LogAttrs(ctx, slog.LevelWarn, "bad request",
		slog.String("client_ip", remoteIP(ctx).String()), slog.Int("status", status), slog.String("err", why))
}

// fastError answers requests fasthttp could not read.
func (s *Server) fastError(ctx *fasthttp.RequestCtx, err error) {
	status := http.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		status = http.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		status = http.StatusRequestTimeout
	}
	ctx.Error(http.StatusText(status), status)
	s.log.LogAttrs(ctx, slog.LevelWarn, "bad request",
		slog.String("client_ip", remoteIP(ctx).String()), slog.Int("status", status), slog.String("err", err.Error()))
}

// serveNative runs the guards of a route without a WAF and forwards the
// request with fasthttp, and reports whether it did; false leaves the
// request to the net/http path.
func (s *Server) serveNative(ctx *fasthttp.RequestCtx) bool {
	if c, ok := ctx.Conn().(*h1TLSConn); ok {
		// The net/http path finds the connection's TLS facts here.
		ctx.SetUserValue(connKey{}, c.ci)
	}
	st := s.state.Load()
	h := &ctx.Request.Header
	uri := h.RequestURI()
	host := h.Host()
	if len(uri) == 0 || uri[0] != '/' || len(host) == 0 || h.IsConnect() || len(h.Peek("Upgrade")) > 0 {
		return false
	}
	rt := st.table.lookup(bstr(host), bstr(ctx.Path()))
	if rt == nil || !rt.native {
		return false
	}
	req := s.nativeRequest(ctx, st, rt, remoteIP(ctx))
	if c, ok := ctx.Conn().(*h1TLSConn); ok {
		req.TLS = c.ci.tls
		s.m.Fingerprint(req.TLS.JA4)
	}
	if v, blocked := s.runGuards(context.Background(), req); blocked {
		refusal(&ctx.Response, req, v)
	} else {
		rt.pool.ServeFast(ctx)
	}
	s.finishNative(ctx, st, req)
	return true
}

// finishNative stamps the request id on the response and records the
// request (metrics, access line) once its status is known.
func (s *Server) finishNative(ctx *fasthttp.RequestCtx, st *state, req *Request) {
	// After the upstream's headers: the gateway's id wins over one it sent.
	ctx.Response.Header.Set(st.reqIDKey, req.ID)
	s.recordNative(ctx, req, ctx.Path(), ctx.Response.StatusCode(), int64(ctx.Response.Header.ContentLength()))
}

// recordNative records a natively served request (metrics, access line);
// path is its cleaned path, bytes the response's Content-Length, -1 when
// streamed.
func (s *Server) recordNative(ctx *fasthttp.RequestCtx, req *Request, path []byte, status int, bytes int64) {
	h := &ctx.Request.Header
	proto := "HTTP/1.0"
	if h.IsHTTP11() {
		proto = "HTTP/1.1"
	}
	s.account(req, status)
	if s.log.Enabled(ctx, slog.LevelInfo) {
		// The body streams after the handler returns: its length is the
		// Content-Length when there is one, -1 otherwise.
		// Views of fasthttp's buffers for the gateway's own encoder, which
		// copies them before the request ends; copies for a slog handler,
		// which may keep them.
		method, host, p := bstr(h.Method()), bstr(h.Host()), bstr(path)
		if s.access == nil {
			method, host, p = strings.Clone(method), strings.Clone(host), strings.Clone(p)
		}
		s.logRequest(ctx, req, method, host, p, proto, status, bytes)
	}
}

// nativeRequest is the Request of a natively served request from peer:
// client IP through trusted proxies, request id.
func (s *Server) nativeRequest(ctx *fasthttp.RequestCtx, st *state, rt *route, peer netip.Addr) *Request {
	req := new(Request)
	s.fillNative(req, ctx, st, rt, peer)
	return req
}

// fillNative is nativeRequest into a Request the caller reuses (the event
// loop keeps one per connection: nothing holds a Request past its
// response).
func (s *Server) fillNative(req *Request, ctx *fasthttp.RequestCtx, st *state, rt *route, peer netip.Addr) {
	h := &ctx.Request.Header
	*req = Request{Start: time.Now(), Route: rt, peer: peer, Decisions: req.Decisions[:0]}
	var xff []string
	if st.trust.trusted(req.peer) {
		xff = peekAll(h, "X-Forwarded-For")
	}
	req.ClientIP, req.PeerTrusted = st.trust.clientIP(req.peer, xff)
	if id := h.Peek(st.reqIDKey); req.PeerTrusted && validRequestID(bstr(id)) {
		req.ID = string(id)
	} else {
		req.ID = s.ids.next()
	}
	req.fast = ctx
	ctx.SetUserValue(requestKey{}, req)
}

// refusal makes resp a guard's refusal.
func refusal(resp *fasthttp.Response, req *Request, v Verdict) {
	resp.SetStatusCode(v.Status)
	for k, vs := range v.Header {
		for _, x := range vs {
			resp.Header.Add(k, x)
		}
	}
	resp.Header.SetContentType(blockContentType)
	resp.Header.Set("Cache-Control", "no-store")
	resp.SetBody(blockBody(req, v.Status))
}

// rewriteFast sets the forwarding, request id and fingerprint headers of a
// natively forwarded request (the fasthttp twin of rewrite). The pool has
// removed hop-by-hop headers and any the client sent of these.
func (s *state) rewriteFast(ctx *fasthttp.RequestCtx, out *fasthttp.Request) {
	s.addForwarding(ctx, &out.Header)
}

// headerAdder is a fasthttp header, or the event loop's raw header.
type headerAdder interface{ Add(key, value string) }

// addForwarding adds the forwarding, request id and fingerprint headers of
// ctx's request to oh, which holds none of them.
func (s *state) addForwarding(ctx *fasthttp.RequestCtx, oh headerAdder) {
	req, _ := ctx.UserValue(requestKey{}).(*Request)
	s.addForwarded(oh, req, fastForward(ctx, req))
}

// fastForward is forwardValues for a fasthttp request.
func fastForward(ctx *fasthttp.RequestCtx, req *Request) fwdOut {
	in := &ctx.Request.Header
	// A view of the host: forwardValues copies what it keeps of it.
	fi := fwdIn{host: bstr(in.Host()), tls: ctx.IsTLS()}
	if req != nil {
		fi.peer = req.peer
		if req.PeerTrusted {
			fi.trusted, fi.xff, fi.fwd = true, peekAll(in, "X-Forwarded-For"), peekAll(in, "Forwarded")
			fi.xfp, fi.xfh = string(in.Peek("X-Forwarded-Proto")), string(in.Peek("X-Forwarded-Host"))
		}
	} else {
		fi.peer = remoteIP(ctx)
	}
	return forwardValues(fi)
}

// addForwarded adds fo and req's id and fingerprints to oh.
func (s *state) addForwarded(oh headerAdder, req *Request, fo fwdOut) {
	oh.Add("X-Forwarded-For", fo.xff)
	oh.Add("X-Forwarded-Proto", fo.proto)
	if fo.host != "" {
		oh.Add("X-Forwarded-Host", fo.host)
	}
	oh.Add("Forwarded", fo.forwarded)
	if req != nil {
		oh.Add(s.reqIDKey, req.ID)
	}
	if ja4, ja3 := s.fingerprints(req); ja4 != "" || ja3 != "" {
		if ja4 != "" {
			oh.Add(s.ja4Key, ja4)
		}
		if ja3 != "" {
			oh.Add(s.ja3Key, ja3)
		}
	}
}

// peekAll copies every value of a request header (fasthttp's are only
// valid during the request).
func peekAll(h *fasthttp.RequestHeader, key string) []string {
	vs := h.PeekAll(key)
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func remoteIP(ctx *fasthttp.RequestCtx) netip.Addr {
	if ta, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// bstr views b as a string without copying, for lookups that do not keep
// it (fasthttp's buffers are reused after the request).
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// h1TLSConn is a TLS connection handed to fasthttp after the handshake,
// with its fingerprint and identity read once. The embedded *tls.Conn keeps
// fasthttp's TLS detection (ConnectionState) working.
type h1TLSConn struct {
	*tls.Conn
	ci *connInfo
}

// connQueue is a net.Listener fed with connections the TLS dispatcher has
// already accepted and handshaken.
type connQueue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

// push hands c to the server; after Close it closes c instead.
func (q *connQueue) push(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		_ = c.Close()
	}
}

// acceptTLS accepts on a TLS listener under the fasthttp engine: each
// connection is handshaken in its own goroutine, then goes to net/http
// when ALPN chose h2 and to fasthttp otherwise.
func (s *Server) acceptTLS(ln net.Listener, i int, h1, h2 *connQueue) error {
	tc := s.listenerTLS(i)
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off as
				// net/http does rather than spin.
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		go s.handshake(c, tc, h1, h2)
	}
}

func (s *Server) handshake(c net.Conn, tc *tls.Config, h1, h2 *connQueue) {
	conn := tls.Server(c, tc)
	ctx, cancel := context.WithTimeout(s.ctx, s.limits.ReadHeaderTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.log.Debug("tls handshake failed", "remote", c.RemoteAddr().String(), "err", err.Error())
		_ = c.Close()
		return
	}
	cs := conn.ConnectionState()
	if cs.NegotiatedProtocol == "h2" {
		h2.push(conn)
		return
	}
	ci := &connInfo{conn: conn}
	ci.tlsInfo(&cs)
	h1.push(&h1TLSConn{Conn: conn, ci: ci})
}
