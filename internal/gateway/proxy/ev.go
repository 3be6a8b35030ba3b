package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// What the event-loop front end (http1_engine: evloop) needs of a pool: it
// does its own upstream I/O on the loop, and shares the pool's balancing,
// health, retries, header handling and metrics with the other forwarders.

// Evented reports whether the event loop can forward to this pool itself:
// every target is plain HTTP at an IP address (the loop neither
// handshakes TLS nor resolves names without blocking) and there is no
// load-shedding queue (its wait would block the loop).
func (p *Pool) Evented() bool {
	if p.sem != nil {
		return false
	}
	for _, t := range p.targets {
		if !t.addr.IsValid() {
			return false
		}
	}
	return true
}

// targetAddr is t's address when the loop can dial it without a lookup.
func targetAddr(t *Target) netip.AddrPort {
	if t.https {
		return netip.AddrPort{}
	}
	host, port := t.URL.Hostname(), t.URL.Port()
	if port == "" {
		port = "80"
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(n))
}

// Addr is the target's address for the event loop (see Evented).
func (t *Target) Addr() netip.AddrPort { return t.addr }

// Outbound fills out's header from ctx's request: hop-by-hop and
// Options.DropRequest headers removed, then Options.RewriteFast. The body
// is the caller's to send.
func (p *Pool) Outbound(ctx *fasthttp.RequestCtx, out *fasthttp.Request) {
	p.outbound(ctx, out)
}

// Attempts hands out the targets of one request's attempts (see tries).
type Attempts struct{ tr tries }

// Attempts starts a request's attempts; replay says it may be sent again.
func (p *Pool) Attempts(replay bool) Attempts { return Attempts{p.tries(replay)} }

// Next is the next attempt's target, or nil and the error to answer with.
func (a *Attempts) Next(err error) (*Target, error) { return a.tr.next(err) }

// Failed ends an attempt without a response; blame counts it against t.
func (a *Attempts) Failed(t *Target, blame bool) { a.tr.failed(t, blame) }

// Done records an attempt that got a response header at status.
func (a *Attempts) Done(t *Target, start time.Time, status int) { a.tr.done(t, start, status) }

// End ends an exchange that got a response, once its body is over.
func (p *Pool) End(t *Target) { p.endFast(t, false) }

// ResponseHeader fills dst from the upstream's src without hop-by-hop and
// stripped (origin-hiding) headers.
func (p *Pool) ResponseHeader(src, dst *fasthttp.ResponseHeader) {
	src.CopyTo(dst)
	dst.SetNoDefaultContentType(true)
	dropResponseHeaders(src, dst, p.dropResponse)
}

// ErrorStatus is the status for a failed exchange, logged: 503 when no
// target is available, 504 on a timeout, 502 otherwise.
func (p *Pool) ErrorStatus(err error, timedOut bool) int {
	status := fasthttp.StatusBadGateway
	var ne net.Error
	switch {
	case errors.Is(err, ErrNoTarget):
		status = fasthttp.StatusServiceUnavailable
	case timedOut, errors.As(err, &ne) && ne.Timeout():
		status = fasthttp.StatusGatewayTimeout
	}
	p.log.LogAttrs(context.Background(), slog.LevelWarn, "upstream error",
		slog.String("route", p.route), slog.Int("status", status), slog.String("err", err.Error()))
	return status
}

// Timeouts are the route's upstream timeouts.
func (p *Pool) Timeouts() config.Timeouts { return p.timeouts }
