//go:build linux

package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/connlimit"
	"github.com/rampart-sec/rampart/internal/gateway/evloop"
	"github.com/rampart-sec/rampart/internal/gateway/h1frame"
	"github.com/rampart-sec/rampart/internal/gateway/proxy"
)

// The event-loop front end (http1_engine: evloop) serves cleartext
// HTTP/1.1 listeners on epoll loops (internal/gateway/evloop), one per
// CPU, with no goroutine per connection: a request on a route without a
// WAF is parsed, guarded and forwarded on the loop, and the upstream's
// answer streams back through it, with reads paused on whichever side is
// ahead. The loop handles the plain, common case itself and hands the
// whole connection to the fasthttp engine for anything else, before it
// has consumed a byte of that request: WAF routes, Upgrade, CONNECT,
// Expect, chunked or oversized request bodies, HTTP/1.0, malformed or
// unusual requests (so those get exactly the fasthttp engine's answers),
// and routes whose upstream the loop cannot reach without blocking (TLS,
// host names, a load-shedding queue: proxy.Pool.Evented).

// evHighWater is how much output may queue on one side before the other
// side's reads pause.
const evHighWater = 256 << 10

// evMaxResponseHeader bounds an upstream's response header block.
const evMaxResponseHeader = 64 << 10

type evPhase uint8

const (
	evIdle     evPhase = iota // between requests
	evBody                    // forwarding the request body
	evWait                    // request sent, waiting for the response header
	evRespBody                // streaming the response body
)

// evEngine is the loops of one listener.
type evEngine struct {
	s     *Server
	ln    int // listener index
	lnfd  int
	loops []*evloop.Loop
	limit *connlimit.Listener // nil: no connection limits
	q     *connQueue          // hand-offs to the fasthttp server
	hs    []*evHandler
}

// evHandler is one loop's handler: its parsing buffers and idle upstream
// connections.
type evHandler struct {
	e        *evEngine
	loop     *evloop.Loop
	rd       bytes.Reader
	br       *bufio.Reader // request heads: limits.max_header_bytes
	idle     map[*proxy.Target][]*evloop.Conn
	free     []*evState // lent to exchanges (lend, reclaim)
	draining bool
}

// evClient is a client connection's state. What only an exchange needs
// (parsing state, buffers) is an evState lent from the loop for the
// exchange's length: an idle keep-alive connection holds none.
type evClient struct {
	*evState // nil between requests
	c        *evloop.Conn
	peer     netip.Addr
	remote   net.Addr
	admit    bool // holds a connection-limit slot
	phase    evPhase
	req      *Request // &reqv during an exchange
	st       *state
	pool     *proxy.Pool
	t        *proxy.Target
	up       *evloop.Conn
	start    time.Time
	total    time.Time // the exchange's total deadline, zero for none
	replay   bool
	bodyAt   int64 // request body bytes still to forward
	left     int64 // response body bytes still to forward; -1 chunked, -2 until close
	close    bool  // close after this response
	written  bool  // response header sent
	// The last untrusted request's forwarding values, by Host: they
	// depend only on the peer and the Host, so a keep-alive connection
	// reuses them.
	fwdHost []byte
	fwd     fwdOut
}

// evState is the part of a client's state an exchange needs.
type evState struct {
	conn  fakeConn
	ctx   fasthttp.RequestCtx
	uri   fasthttp.URI // the request's, parsed once (ctx's stays unparsed)
	reqv  Request
	tries proxy.Attempts
	sent  []byte // the request bytes, kept while a retry may resend them
	hdr   []byte
	chunk h1frame.Chunked
}

// lend gives cl an evState for an exchange.
func (h *evHandler) lend(cl *evClient) {
	if cl.evState != nil {
		return
	}
	var x *evState
	if n := len(h.free); n > 0 {
		x = h.free[n-1]
		h.free[n-1] = nil
		h.free = h.free[:n-1]
	} else {
		x = &evState{}
		x.conn.local = h.e.q.addr
		x.ctx.Init2(&x.conn, fastLogger{h.e.s.log}, false)
	}
	x.conn.remote = cl.remote
	cl.evState = x
}

// reclaim takes cl's evState back once nothing of the exchange needs it
// (what was written out has been copied to the connection's buffer).
func (h *evHandler) reclaim(cl *evClient) {
	x := cl.evState
	if x == nil {
		return
	}
	cl.evState, cl.req = nil, nil
	x.conn.remote = nil
	x.reqv = Request{Decisions: x.reqv.Decisions[:0]}
	h.free = append(h.free, x)
}

// forwarding is fastForward, cached for requests from an untrusted peer.
func (cl *evClient) forwarding(ctx *fasthttp.RequestCtx, req *Request) fwdOut {
	if req.PeerTrusted {
		return fastForward(ctx, req)
	}
	host := ctx.Request.Header.Host()
	if cl.fwdHost == nil || !bytes.Equal(host, cl.fwdHost) {
		cl.fwd = fastForward(ctx, req)
		cl.fwdHost = append(cl.fwdHost[:0], host...)
	}
	return cl.fwd
}

// evUp marks an upstream connection: the client it serves, nil when idle.
type evUp struct {
	cl *evClient
	t  *proxy.Target
}

// dropUp closes cl's upstream connection, unlinked first so that its
// Closed callback does nothing more, and reports whether there was one.
func (cl *evClient) dropUp() bool {
	up := cl.up
	if up == nil {
		return false
	}
	up.Ctx.(*evUp).cl = nil
	cl.up = nil
	up.Close()
	return true
}

// fakeConn gives fasthttp.RequestCtx the addresses of a loop connection.
type fakeConn struct {
	net.Conn
	local, remote net.Addr
}

func (f *fakeConn) LocalAddr() net.Addr  { return f.local }
func (f *fakeConn) RemoteAddr() net.Addr { return f.remote }

func (s *Server) newEvEngine(i int, ln net.Listener, limit *connlimit.Listener) (*evEngine, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("listen[%d]: evloop needs a TCP listener", i)
	}
	fd, err := evloop.ListenerFD(tl)
	if err != nil {
		return nil, err
	}
	e := &evEngine{s: s, ln: i, lnfd: fd, limit: limit, q: newConnQueue(ln.Addr())}
	for range runtime.GOMAXPROCS(0) {
		h := &evHandler{e: e, br: bufio.NewReaderSize(nil, s.limits.MaxHeaderBytes+16), idle: map[*proxy.Target][]*evloop.Conn{}}
		l, err := evloop.New(h, fd)
		if err != nil {
			_ = evloop.CloseFD(fd)
			return nil, err
		}
		h.loop = l
		e.loops = append(e.loops, l)
		e.hs = append(e.hs, h)
	}
	return e, nil
}

// run serves until shutdown drains the loops.
func (e *evEngine) run() error {
	errc := make(chan error, len(e.loops))
	for _, l := range e.loops {
		go func() { errc <- l.Run() }()
	}
	var err error
	for range e.loops {
		err = errors.Join(err, <-errc)
	}
	_ = evloop.CloseFD(e.lnfd)
	return err
}

// shutdown stops accepting, closes idle connections, lets in-flight
// exchanges finish until ctx ends, then stops the loops.
func (e *evEngine) shutdown(ctx context.Context) {
	for i, l := range e.loops {
		h := e.hs[i]
		l.Post(func() {
			h.draining = true
			l.StopAccepting()
			h.closeIdle()
		})
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, l := range e.loops {
		for {
			busy := make(chan int, 1)
			l.Post(func() { busy <- l.Conns() })
			var n int
			select {
			case n = <-busy:
			case <-l.Done():
			}
			if n == 0 || ctx.Err() != nil {
				break
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		l.Post(l.Stop)
	}
	_ = e.q.Close()
}

// closeIdle closes client connections between requests and idle upstream
// connections (draining).
func (h *evHandler) closeIdle() {
	h.loop.Each(func(c *evloop.Conn) {
		switch x := c.Ctx.(type) {
		case *evClient:
			if x.phase == evIdle && c.Buffered() == 0 {
				c.Close()
			}
		case *evUp:
			if x.cl == nil {
				c.Close()
			}
		}
	})
}

func (h *evHandler) Accept(c *evloop.Conn) {
	e := h.e
	peer := c.Remote().Addr()
	if h.draining {
		c.Close()
		return
	}
	cl := &evClient{c: c, peer: peer}
	if e.limit != nil {
		if reason := e.limit.Admit(peer); reason != "" {
			e.s.m.ConnRejected.WithLabelValues(reason).Inc()
			c.Close()
			return
		}
		cl.admit = true
	}
	cl.remote = net.TCPAddrFromAddrPort(c.Remote())
	c.Ctx = cl
	h.idleDeadline(cl)
}

func (h *evHandler) idleDeadline(cl *evClient) {
	l := h.e.s.limits
	switch {
	case l.IdleTimeout > 0:
		cl.c.SetDeadline(h.loop.Now().Add(l.IdleTimeout))
	case l.ReadHeaderTimeout > 0:
		cl.c.SetDeadline(h.loop.Now().Add(l.ReadHeaderTimeout))
	default:
		cl.c.SetDeadline(time.Time{})
	}
}

func (h *evHandler) Data(c *evloop.Conn) {
	switch x := c.Ctx.(type) {
	case *evClient:
		h.clientData(x)
	case *evUp:
		if x.cl == nil {
			// Bytes on an idle upstream connection: nothing can be
			// trusted on it any more.
			c.Close()
			return
		}
		h.upData(x.cl)
	}
}

func (h *evHandler) clientData(cl *evClient) {
	switch cl.phase {
	case evBody:
		h.forwardBody(cl)
	case evIdle:
		h.request(cl)
	default:
		// Pipelined input waits until the response is over.
		cl.c.PauseRead()
	}
}

// request starts the exchange of the request at the head of cl's input,
// or hands the connection off.
func (h *evHandler) request(cl *evClient) {
	s := h.e.s
	d := cl.c.Data()
	end := bytes.Index(d, crlfcrlf)
	if end < 0 {
		if len(d) > s.limits.MaxHeaderBytes || bytes.Contains(d, lflf) {
			h.handOff(cl, "malformed") // fasthttp answers 431, or reads the bare-LF request
		} else if s.limits.ReadHeaderTimeout > 0 && len(d) > 0 {
			cl.c.SetDeadline(h.loop.Now().Add(s.limits.ReadHeaderTimeout))
		}
		return
	}
	head := d[:end+4]
	h.lend(cl)
	ctx := &cl.ctx
	ctx.Request.Reset()
	ctx.Response.Reset()
	h.rd.Reset(head)
	h.br.Reset(&h.rd)
	rh := &ctx.Request.Header
	if err := rh.Read(h.br); err != nil {
		h.handOff(cl, "malformed")
		return
	}
	st := s.state.Load()
	uri, host := rh.RequestURI(), rh.Host()
	cl2 := rh.ContentLength()
	if status, _ := checkH1(rh); status != 0 || len(host) == 0 || cl.uri.Parse(host, uri) != nil {
		// fasthttp's server refuses what its URI parser does (a Host
		// with a space, say); the hand-off gets that answer.
		h.handOff(cl, "malformed")
		return
	}
	if !rh.IsHTTP11() || len(uri) == 0 || uri[0] != '/' || rh.IsConnect() || cl2 == -1 ||
		int64(cl2) > s.bufferedBodyLimit() || len(rh.Peek("Upgrade")) > 0 || len(rh.Peek("Expect")) > 0 {
		h.handOff(cl, "protocol")
		return
	}
	rt := st.table.lookup(bstr(host), bstr(cl.uri.Path()))
	if rt == nil || !rt.native || !rt.pool.Evented() {
		h.handOff(cl, "route")
		return
	}
	cl.c.Consume(len(head))
	cl.close = rh.ConnectionClose()
	cl.st, cl.pool = st, rt.pool
	req := &cl.reqv
	s.fillNative(req, ctx, st, rt, cl.peer)
	cl.req = req
	if v, blocked := s.runGuards(context.Background(), req); blocked {
		refusal(&ctx.Response, req, v)
		s.finishNative(ctx, st, req)
		// The body, if any, is not read: the connection cannot continue.
		if cl2 > 0 {
			cl.close = true
		}
		h.writeOwn(cl)
		h.endExchange(cl)
		return
	}
	raw := rawHeader{b: rt.pool.AppendOutbound(cl.sent[:0], rh)}
	st.addForwarded(&raw, req, cl.forwarding(ctx, req))
	cl.sent = append(raw.b, "\r\n"...)
	cl.bodyAt = max(int64(cl2), 0)
	// A request whose body is all here can be sent again.
	have := cl.c.Data()
	cl.replay = proxy.Idempotent(bstr(rh.Method())) && int64(len(have)) >= cl.bodyAt
	if cl.replay && cl.bodyAt > 0 {
		cl.sent = append(cl.sent, have[:cl.bodyAt]...)
		cl.c.Consume(int(cl.bodyAt))
		cl.bodyAt = 0
	}
	cl.tries = rt.pool.Attempts(cl.replay)
	cl.total = time.Time{}
	if to := rt.pool.Timeouts().Total; to > 0 {
		cl.total = time.Now().Add(to)
	}
	cl.written = false
	cl.c.SetDeadline(time.Time{})
	h.attempt(cl, nil)
}

func appendContentLength(b []byte, n int64) []byte {
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "\r\n"...)
}

// rawHeader appends header fields to a request being written out.
type rawHeader struct{ b []byte }

// Add appends "key: value". The values are the gateway's own or built
// from request fields checkH1 passed (no CR, LF or other controls).
func (r *rawHeader) Add(key, value string) {
	r.b = append(r.b, key...)
	r.b = append(r.b, ": "...)
	r.b = append(r.b, value...)
	r.b = append(r.b, "\r\n"...)
}

var (
	crlfcrlf = []byte("\r\n\r\n")
	lflf     = []byte("\n\n")
)

// attempt sends the request to the next target; prev is the previous
// attempt's error.
func (h *evHandler) attempt(cl *evClient, prev error) {
	t, err := cl.tries.Next(prev)
	if t == nil {
		h.fail(cl, err)
		return
	}
	cl.t, cl.start = t, time.Now()
	up := h.takeIdle(t)
	if up == nil {
		up, err = h.loop.Dial(t.Addr(), &evUp{t: t})
		if err != nil {
			cl.tries.Failed(t, true)
			h.attempt(cl, err)
			return
		}
		if to := cl.pool.Timeouts().Connect; to > 0 {
			up.SetDeadline(h.loop.Now().Add(to))
		}
	}
	up.Ctx.(*evUp).cl = cl
	cl.up = up
	up.Write(cl.sent)
	if !cl.replay {
		cl.sent = cl.sent[:0] // the body streams; nothing to resend
	}
	if cl.bodyAt > 0 {
		cl.phase = evBody
		h.forwardBody(cl)
		return
	}
	h.waitResponse(cl)
}

func (h *evHandler) takeIdle(t *proxy.Target) *evloop.Conn {
	list := h.idle[t]
	for len(list) > 0 {
		c := list[len(list)-1]
		list = list[:len(list)-1]
		h.idle[t] = list
		if !c.Closed() {
			c.SetDeadline(time.Time{})
			return c
		}
	}
	return nil
}

// forwardBody passes request body bytes from the client to the upstream.
func (h *evHandler) forwardBody(cl *evClient) {
	d := cl.c.Data()
	n := min(int64(len(d)), cl.bodyAt)
	if n > 0 {
		cl.up.Write(d[:n])
		cl.c.Consume(int(n))
		cl.bodyAt -= n
	}
	if cl.bodyAt > 0 {
		if cl.up.Pending() > evHighWater {
			cl.c.PauseRead()
			cl.up.NotifyDrained()
		}
		if rt := h.e.s.limits.ReadTimeout; rt > 0 {
			cl.c.SetDeadline(h.loop.Now().Add(rt))
		} else {
			cl.c.SetDeadline(h.loop.Now().Add(defaultBodyTimeout))
		}
		return
	}
	cl.c.SetDeadline(time.Time{})
	h.waitResponse(cl)
}

func (h *evHandler) waitResponse(cl *evClient) {
	cl.phase = evWait
	// Input after the request waits for the response (no pipelining).
	if cl.c.Buffered() > 0 {
		cl.c.PauseRead()
	}
	if cl.up.Connecting() {
		return // the connect deadline holds; Connected comes back here
	}
	dl := cl.total
	if to := cl.pool.Timeouts().ResponseHeader; to > 0 {
		if rh := h.loop.Now().Add(to); dl.IsZero() || rh.Before(dl) {
			dl = rh
		}
	}
	cl.up.SetDeadline(dl)
}

// upData reads the upstream's response.
func (h *evHandler) upData(cl *evClient) {
	up := cl.up
	switch cl.phase {
	case evBody, evWait:
		h.responseHeader(cl)
	case evRespBody:
		h.responseBody(cl)
	default:
		up.Close()
	}
}

func (h *evHandler) responseHeader(cl *evClient) {
	up := cl.up
	var (
		hdr []byte
		rh  proxy.ResponseHead
		err error
	)
	for {
		d := up.Data()
		end := bytes.Index(d, crlfcrlf)
		if end < 0 {
			if len(d) > evMaxResponseHeader {
				h.upFailed(cl, errors.New("response header too large"), false)
			}
			return
		}
		hdr, rh, err = cl.pool.AppendResponseHead(cl.hdr[:0], d[:end+4], cl.st.reqIDKey)
		if err != nil {
			h.upFailed(cl, err, false)
			return
		}
		up.Consume(end + 4)
		if rh.Status >= 100 && rh.Status < 200 {
			if rh.Status == http.StatusSwitchingProtocols {
				h.upFailed(cl, errors.New("101 to a request without Upgrade"), false)
				return
			}
			continue // interim responses are not passed on
		}
		break
	}
	status := rh.Status
	if cl.phase == evBody {
		// The upstream answered before the whole body: send no more of it
		// and close both connections after the response.
		cl.bodyAt = 0
		cl.close = true
	}
	cl.tries.Done(cl.t, cl.start, status)
	ctx := &cl.ctx
	head := ctx.Request.Header.IsHead()
	switch {
	case status == http.StatusNoContent:
		cl.left = 0
	case head || status == http.StatusNotModified:
		// No body; a Content-Length describes the GET's (kept as the
		// fasthttp engine keeps it).
		cl.left = 0
		if rh.Length >= 0 {
			hdr = appendContentLength(hdr, rh.Length)
		}
	case rh.Length >= 0:
		cl.left = rh.Length
		hdr = appendContentLength(hdr, cl.left)
	case rh.Length == proxy.BodyChunked:
		cl.left = proxy.BodyChunked
		cl.chunk.Reset()
		hdr = append(hdr, "Transfer-Encoding: chunked\r\n"...) // the coding passes through
	default:
		cl.left = proxy.BodyToClose // until the upstream closes: so does the client
		cl.close = true
	}
	if rh.Close {
		cl.up.Ctx.(*evUp).t = nil // not reusable
	}
	// After the upstream's fields: the gateway's id replaces one it sent.
	hdr = append(hdr, cl.st.reqIDKey...)
	hdr = append(hdr, ": "...)
	hdr = append(hdr, cl.req.ID...)
	hdr = append(hdr, "\r\n"...)
	if cl.close {
		hdr = append(hdr, "Connection: close\r\n"...)
	}
	cl.hdr = append(hdr, "\r\n"...)
	cl.phase = evRespBody
	size := int64(-1)
	if cl.left >= 0 && !head {
		size = max(rh.Length, 0)
	}
	h.e.s.recordNative(ctx, cl.req, cl.uri.Path(), status, size)
	cl.c.Write(cl.hdr)
	cl.written = true
	cl.up.SetDeadline(cl.total)
	if w := h.e.s.limits.WriteTimeout; w > 0 {
		cl.c.SetDeadline(h.loop.Now().Add(w))
	}
	h.responseBody(cl)
}

// responseBody passes response body bytes to the client.
func (h *evHandler) responseBody(cl *evClient) {
	up := cl.up
	d := up.Data()
	switch {
	case cl.left == -1:
		n, done, err := cl.chunk.Scan(d)
		if err != nil {
			h.abort(cl, err)
			return
		}
		cl.c.Write(d[:n])
		up.Consume(n)
		if done {
			cl.left = 0
		}
	case cl.left == -2:
		cl.c.Write(d)
		up.Consume(len(d))
	default:
		n := min(int64(len(d)), cl.left)
		cl.c.Write(d[:n])
		up.Consume(int(n))
		cl.left -= n
	}
	if cl.left == 0 {
		h.endExchange(cl)
		return
	}
	if cl.c.Pending() > evHighWater {
		up.PauseRead()
		cl.c.NotifyDrained()
	}
}

// endExchange ends a response: the upstream connection goes back to the
// idle list (when it can be reused), the client reads its next request.
func (h *evHandler) endExchange(cl *evClient) {
	if up := cl.up; up != nil {
		u := up.Ctx.(*evUp)
		cl.pool.End(cl.t)
		u.cl = nil
		cl.up = nil
		switch {
		case u.t == nil || cl.bodyAt > 0 || up.Buffered() > 0 || h.draining:
			up.Close()
		default:
			up.ResumeRead() // an idle connection is watched for its close
			up.SetDeadline(h.loop.Now().Add(90 * time.Second))
			h.idle[u.t] = append(h.idle[u.t], up)
		}
	}
	cl.st, cl.pool, cl.t = nil, nil, nil
	h.reclaim(cl)
	cl.phase = evIdle
	if cl.close || h.draining {
		cl.c.CloseAfterWrite()
		return
	}
	h.idleDeadline(cl)
	if cl.c.Paused() {
		cl.c.ResumeRead() // offers what waited
	} else {
		cl.c.Kick()
	}
}

// upFailed ends an attempt that got no usable response: another target
// for a replayable request, otherwise an error answer.
func (h *evHandler) upFailed(cl *evClient, err error, timedOut bool) {
	cl.dropUp()
	if cl.written {
		// The response had begun (its attempt was counted done): the
		// exchange ends here, cut off.
		h.abort(cl, err)
		return
	}
	// The route's total timeout is not the target's fault.
	totalOut := !cl.total.IsZero() && !time.Now().Before(cl.total)
	cl.tries.Failed(cl.t, !totalOut)
	if cl.replay && !totalOut && cl.phase != evRespBody {
		cl.phase = evWait
		h.attempt(cl, err)
		return
	}
	cl.bodyAt = 0
	if cl.phase == evBody {
		cl.close = true
	}
	h.answer(cl, cl.pool.ErrorStatus(err, timedOut || totalOut))
}

func (h *evHandler) fail(cl *evClient, err error) {
	h.answer(cl, cl.pool.ErrorStatus(err, false))
}

// answer sends the gateway's own error response.
func (h *evHandler) answer(cl *evClient, status int) {
	ctx := &cl.ctx
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(status)
	if status == http.StatusServiceUnavailable {
		ctx.Response.Header.Set("Retry-After", "5")
	}
	h.e.s.finishNative(ctx, cl.st, cl.req)
	h.writeOwn(cl)
	h.endExchange(cl)
}

// writeOwn writes ctx.Response, a response the gateway made itself.
func (h *evHandler) writeOwn(cl *evClient) {
	resp := &cl.ctx.Response
	resp.Header.SetNoDefaultContentType(true)
	if cl.close {
		resp.SetConnectionClose()
	}
	body := resp.Body()
	resp.Header.SetContentLength(len(body))
	if cl.ctx.Request.Header.IsHead() {
		body = nil
	}
	cl.hdr = resp.Header.AppendBytes(cl.hdr[:0])
	cl.c.Write(cl.hdr)
	cl.c.Write(body)
	cl.written = true
}

// abort ends an exchange whose response has begun (its attempt counted
// done) and cannot be completed: the client sees its connection close
// before the body's end, as from nginx.
func (h *evHandler) abort(cl *evClient, err error) {
	h.e.s.log.Warn("upstream response cut off", "route", cl.req.Route.name, "err", err.Error())
	cl.dropUp()
	cl.pool.End(cl.t)
	cl.c.CloseAfterWrite()
}

func (h *evHandler) Connected(c *evloop.Conn, err error) {
	if err != nil {
		return // Closed follows
	}
	if u, ok := c.Ctx.(*evUp); ok && u.cl != nil && u.cl.phase == evWait {
		h.waitResponse(u.cl) // the header deadline starts now
	}
}

func (h *evHandler) Drained(c *evloop.Conn) {
	switch x := c.Ctx.(type) {
	case *evClient:
		if x.up != nil && x.phase == evRespBody {
			x.up.ResumeRead()
		}
	case *evUp:
		if x.cl != nil && x.cl.phase == evBody {
			x.cl.c.ResumeRead()
		}
	}
}

func (h *evHandler) Closed(c *evloop.Conn, err error) {
	switch x := c.Ctx.(type) {
	case *evClient:
		if x.admit {
			h.e.limit.Release(x.peer)
			x.admit = false
		}
		// The client went away mid-exchange: the upstream connection is
		// in an unknown state.
		if x.dropUp() {
			x.pool.End(x.t)
		}
		h.reclaim(x)
	case *evUp:
		cl := x.cl
		if cl == nil {
			return // an idle connection; takeIdle skips it
		}
		x.cl = nil
		if cl.up != c {
			return
		}
		if cl.phase == evRespBody && cl.left == -2 && errors.Is(err, evloop.ErrEOF) {
			cl.up = nil
			cl.pool.End(cl.t)
			cl.left = 0
			x.t = nil
			h.endExchange(cl)
			return
		}
		if err == nil {
			err = errors.New("upstream connection closed")
		}
		h.upFailed(cl, err, false)
	}
}

func (h *evHandler) Timeout(c *evloop.Conn) {
	switch x := c.Ctx.(type) {
	case *evClient:
		// Idle, slow header or body, or a client not reading its
		// response: close, as fasthttp does.
		c.Close()
	case *evUp:
		if x.cl == nil {
			c.Close()
			return
		}
		h.upFailed(x.cl, errEvTimeout, true)
	}
}

// errEvTimeout is an upstream deadline passing on the loop: a net.Error
// that times out, so the answer stays 504 when a retry has run out of
// targets (ErrorStatus sees the last attempt's error).
var errEvTimeout error = evTimeoutError{}

type evTimeoutError struct{}

func (evTimeoutError) Error() string   { return "upstream timed out" }
func (evTimeoutError) Timeout() bool   { return true }
func (evTimeoutError) Temporary() bool { return true }

// handOff gives the connection, with the request not yet consumed, to the
// fasthttp engine; reason (malformed, protocol, route) labels the metric.
func (h *evHandler) handOff(cl *evClient, reason string) {
	h.e.s.m.Handoffs.WithLabelValues(reason).Inc()
	h.reclaim(cl)
	nc, kept, err := cl.c.Detach()
	if err != nil {
		h.e.s.log.Warn("hand-off to fasthttp failed", "err", err.Error())
		cl.c.Close()
		return
	}
	hc := &handedConn{Conn: nc, r: io.MultiReader(bytes.NewReader(kept), nc)}
	if cl.admit {
		hc.release = func() { h.e.limit.Release(cl.peer) }
	}
	go h.e.q.push(hc)
}

// handedConn is a connection the loop handed off: its first bytes were
// already read, and closing it gives back its connection-limit slot.
type handedConn struct {
	net.Conn
	r       io.Reader
	release func()
	once    sync.Once
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *handedConn) Close() error {
	err := c.Conn.Close()
	if c.release != nil {
		c.once.Do(c.release)
	}
	return err
}
