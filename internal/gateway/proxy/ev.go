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

// Body framing of a response, besides a Content-Length (ResponseHead.Length).
const (
	BodyChunked = -1 // Transfer-Encoding: chunked
	BodyToClose = -2 // the body runs until the upstream closes the connection
)

// ResponseHead is what the event loop needs of an upstream response head.
type ResponseHead struct {
	Status int
	// Length is the body's Content-Length, BodyChunked or BodyToClose. It
	// is the message's framing; whether a body follows also depends on
	// the status and the request method (RFC 9112, section 6.3).
	Length int64
	// Close says the upstream connection cannot carry another exchange:
	// Connection: close, an HTTP/1.0 response without keep-alive, or both
	// Content-Length and Transfer-Encoding. (A body that runs to the
	// close ends it too, but only the caller knows whether one follows.)
	Close bool
}

// AppendResponseHead checks an upstream response head raw (status line
// and fields through the blank line) and appends what the event loop
// sends on: the status line as HTTP/1.1, and the fields except the
// hop-by-hop, Connection-named, stripped (origin hiding) and framing ones
// and skip. The caller appends the framing of the returned head, its own
// fields and the final CRLF: the client sees the framing the gateway
// used, whatever duplicates the upstream sent. Fields pass in the
// upstream's spelling.
//
// One pass does both, because this runs for every response (a second
// parse by fasthttp cost about 4% of the loop's CPU). It is stricter
// than net/http's reader, never looser (FuzzAppendResponseHead checks
// both): a line the gateway would refuse in a request (bare LF,
// obs-fold, a name that is not a token, a control character), a
// Content-Length that is not one decimal number, and any transfer coding
// but a single chunked fail the response instead.
func (p *Pool) AppendResponseHead(dst, raw []byte, skip string) ([]byte, ResponseHead, error) {
	var rh ResponseHead
	line, rest, ok := cutLine(raw)
	if !ok || len(line) < 12 || !bytes.HasPrefix(line, strHTTP1x) || !isDigit(line[7]) || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) || line[9] == '0' ||
		(len(line) > 12 && line[12] != ' ') {
		return dst, rh, fmt.Errorf("%w: status line", errResponseHead)
	}
	for _, c := range line {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return dst, rh, fmt.Errorf("%w: status line", errResponseHead)
		}
	}
	rh.Status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	http10 := line[7] == '0'
	start := len(dst)
	dst = append(dst, "HTTP/1.1"...)
	dst = append(dst, line[8:]...)
	dst = append(dst, "\r\n"...)
	fields := len(dst)
	var (
		length     int64 = -1
		lengthText []byte
		chunked    bool
		closing    bool
		keep       bool
		named      bool // Connection names a field other than close or keep-alive
	)
	for r := rest; ; {
		var l []byte
		if l, r, ok = cutLine(r); !ok {
			return dst[:start], rh, fmt.Errorf("%w: bare LF or no blank line", errResponseHead)
		}
		if len(l) == 0 {
			break
		}
		name, value, why := h1frame.FieldLine(l)
		if why != "" {
			return dst[:start], rh, fmt.Errorf("%w: %s", errResponseHead, why)
		}
		switch {
		case asciiEqualFold(name, "Content-Length"):
			// Repeats must be the same text, as net/http requires ("5"
			// and "05" are refused).
			value = bytes.Trim(value, " \t")
			n, err := contentLength(value)
			if err != nil || (length >= 0 && !bytes.Equal(value, lengthText)) {
				return dst[:start], rh, fmt.Errorf("%w: Content-Length %q", errResponseHead, value)
			}
			length, lengthText = n, value
			continue
		case asciiEqualFold(name, "Transfer-Encoding"):
			// Only "chunked", once: the loop re-frames nothing else, and a
			// coding it dropped would corrupt the body.
			if chunked || !asciiEqualFold(bytes.Trim(value, " \t"), "chunked") {
				return dst[:start], rh, fmt.Errorf("%w: Transfer-Encoding %q", errResponseHead, value)
			}
			chunked = true
			continue
		case asciiEqualFold(name, "Connection"):
			for v := value; len(v) > 0; {
				var tok []byte
				tok, v, _ = bytes.Cut(v, comma)
				switch tok = bytes.Trim(tok, " \t"); {
				case asciiEqualFold(tok, "close"):
					closing = true
				case asciiEqualFold(tok, "keep-alive"):
					keep = true
				case len(tok) > 0:
					named = true
				}
			}
			continue
		case asciiEqualFold(name, skip) || dropped(name, p.dropResponse):
			continue
		}
		dst = append(dst, l...)
		dst = append(dst, "\r\n"...)
	}
	if chunked && http10 {
		return dst[:start], rh, fmt.Errorf("%w: Transfer-Encoding in an HTTP/1.0 response", errResponseHead)
	}
	switch {
	case chunked:
		rh.Length = BodyChunked
		// With a Content-Length too, the upstream's framing is in doubt
		// (RFC 9112, section 6.3): chunked wins, and the connection ends.
		rh.Close = length >= 0
	case length >= 0:
		rh.Length = length
	default:
		rh.Length = BodyToClose
	}
	rh.Close = rh.Close || closing || (http10 && !keep)
	if named {
		dst = dropConnectionNamed(dst, fields, rest)
	}
	return dst, rh, nil
}

var comma = []byte(",")

// dropConnectionNamed removes from the fields dst[from:] those the
// response head's Connection fields name (hop-by-hop by declaration,
// RFC 9110, section 7.6.1): rare, so it re-reads the head rather than
// slow down the common pass. The lines were checked by the caller.
func dropConnectionNamed(dst []byte, from int, head []byte) []byte {
	var conn []byte
	for r := head; ; {
		l, rest, _ := cutLine(r)
		if len(l) == 0 {
			break
		}
		r = rest
		if name, value, _ := h1frame.FieldLine(l); asciiEqualFold(name, "Connection") {
			conn = append(append(conn, value...), ',')
		}
	}
	kept := dst[from:from]
	for r := dst[from:]; len(r) > 0; {
		l, rest, _ := cutLine(r)
		r = rest
		if name, _, _ := h1frame.FieldLine(l); !hasToken(conn, name) {
			kept = append(kept, l...)
			kept = append(kept, "\r\n"...)
		}
	}
	return dst[:from+len(kept)]
}

// contentLength parses a trimmed Content-Length value: one decimal
// number without sign. A list ("5, 5") is refused, as net/http does.
func contentLength(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 18 {
		return 0, errResponseHead
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, errResponseHead
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
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
