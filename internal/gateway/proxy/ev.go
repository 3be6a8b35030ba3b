package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/h1frame"
)

// What the event-loop front end (http1_engine: evloop) needs of a pool: it
// does its own upstream I/O on the loop, and shares the pool's balancing,
// health, retries, header handling and metrics with the other forwarders.

// Evented reports whether the event loop can forward to this pool itself:
// every target is plain HTTP at an IP address (the loop neither
// handshakes TLS nor resolves names without blocking) and there is no
// load-shedding queue (its wait would block the loop). Decided in New:
// the loop asks for every request.
func (p *Pool) Evented() bool { return p.evented }

func evented(p *Pool) bool {
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

// AppendOutbound appends the request line and header fields of in as the
// event loop forwards it: what outbound's copy would hold before
// Options.RewriteFast, written straight from in's fields (no copy of the
// header to delete from, then serialize). The caller appends its own
// fields and the final CRLF.
func (p *Pool) AppendOutbound(dst []byte, in *fasthttp.RequestHeader) []byte {
	dst = append(dst, in.Method()...)
	dst = append(dst, ' ')
	dst = append(dst, in.RequestURI()...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	// Names a Connection header lists are hop-by-hop too (RFC 9110 7.6.1).
	var conn []byte
	for _, v := range in.PeekAll("Connection") {
		conn = append(append(conn, v...), ',')
	}
	for k, v := range in.All() {
		if asciiEqualFold(k, "Connection") || (len(conn) > 0 && hasToken(conn, k)) {
			continue
		}
		if dropped(k, p.dropRequest) {
			if asciiEqualFold(k, "Te") && hasToken(v, strTrailers) {
				// Like httputil.ReverseProxy: "Te: trailers" is end-to-end enough.
				dst = append(dst, "Te: trailers\r\n"...)
			}
			continue
		}
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, v...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

func dropped(k []byte, names []string) bool {
	for _, name := range names {
		if asciiEqualFold(k, name) {
			return true
		}
	}
	return false
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

// errResponseHead is a response header the event loop will not pass on.
var errResponseHead = errors.New("malformed response header")

// AppendResponseHead appends what the event loop sends on of an upstream
// response head raw (status line and fields through the blank line, which
// fasthttp has parsed for its status and framing): the status line as
// HTTP/1.1, and the fields except the hop-by-hop, Connection-named,
// stripped (origin hiding) and framing ones and skip. The caller appends
// the framing it read from the parse, its own fields and the final CRLF:
// the client sees the framing the gateway used, whatever duplicates the
// upstream sent. Fields pass in the upstream's spelling; a line the
// gateway would refuse in a request (bare LF, obs-fold, a name that is
// not a token, a control character) fails the response instead.
func (p *Pool) AppendResponseHead(dst, raw []byte, skip string) ([]byte, error) {
	line, rest, ok := cutLine(raw)
	if !ok || len(line) < 12 || !bytes.HasPrefix(line, strHTTP1x) || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) || (len(line) > 12 && line[12] != ' ') {
		return dst, fmt.Errorf("%w: status line", errResponseHead)
	}
	for _, c := range line {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return dst, fmt.Errorf("%w: status line", errResponseHead)
		}
	}
	// First pass: check every line, and collect what Connection names.
	var conn []byte
	for r := rest; len(r) > 0; {
		var l []byte
		if l, r, ok = cutLine(r); !ok {
			return dst, fmt.Errorf("%w: bare LF", errResponseHead)
		}
		if len(l) == 0 {
			break
		}
		name, value, why := h1frame.FieldLine(l)
		if why != "" {
			return dst, fmt.Errorf("%w: %s", errResponseHead, why)
		}
		if asciiEqualFold(name, "Connection") {
			conn = append(append(conn, value...), ',')
		}
	}
	dst = append(dst, "HTTP/1.1"...)
	dst = append(dst, line[8:]...)
	dst = append(dst, "\r\n"...)
	for r := rest; len(r) > 0; {
		var l []byte
		l, r, _ = cutLine(r)
		if len(l) == 0 {
			break
		}
		name, _, _ := h1frame.FieldLine(l)
		if asciiEqualFold(name, "Connection") || asciiEqualFold(name, "Content-Length") ||
			asciiEqualFold(name, skip) || dropped(name, p.dropResponse) ||
			(len(conn) > 0 && hasToken(conn, name)) {
			continue
		}
		dst = append(dst, l...)
		dst = append(dst, "\r\n"...)
	}
	return dst, nil
}

var strHTTP1x = []byte("HTTP/1.")

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// cutLine splits off the first CRLF-terminated line; ok is false for a
// line ending in a bare LF or not ended at all.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}
