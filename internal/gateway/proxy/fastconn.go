package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// errStaleConn: an idle keep-alive connection was closed by the upstream
// before we wrote anything on it. Any request, POST included, may be sent
// again on another connection: the upstream cannot have seen it.
var errStaleConn = errors.New("upstream closed the idle keep-alive connection")

// upConn is a connection to a target as the fasthttp HostClient sees it
// (under TLS for https targets). fasthttp has no background reader that
// notices an idle connection the upstream closed, nor a response header
// timeout, so upConn adds both at the two points where fasthttp touches a
// connection per request:
//
//   - SetWriteDeadline, called right before each request is written (the
//     host client always has a write deadline to make sure of that), peeks
//     at the socket of a reused connection and fails with errStaleConn when
//     the upstream has closed it (or sent anything while it was idle);
//     nothing of the request has been written or read yet. A new
//     connection is not peeked: after a TLS 1.3 handshake the server's
//     session tickets may still be unread.
//   - SetReadDeadline, called once the request is written, arms the
//     response header timeout: the read deadline is the earlier of
//     fasthttp's and now+headerTimeout until the first response byte
//     arrives, then fasthttp's own deadline (the route's total) again.
//
// Deadlines are set lazily, because each one is a timer update in the
// runtime and a request used to make three: a deadline more than farAway
// ahead is none; the write deadline is set only when it changes; the
// header deadline stays on the socket through the body, and Read moves it
// to the real one when it fires; and the next request keeps the deadline
// on the socket when it is earlier than its own by less than
// armSlack of its wait (a 64th, at most 1 s), and so may time out that
// much early.
//
// A connection is used by one request at a time, so the fields need no lock.
type upConn struct {
	net.Conn
	rc            syscall.RawConn // nil when peeking is not possible
	headerTimeout time.Duration

	used      bool // a request has been sent before
	reading   atomic.Bool
	armed     bool      // a request is being written
	firstByte bool      // waiting for the first response byte
	after     time.Time // read deadline once the response has started; zero: none

	// The deadlines on the socket; zero: none. hdrSet: rdl was set when a
	// request was armed (header timeout, or the total if sooner).
	wdl, rdl time.Time
	hdrSet   bool

	peekFn  func(fd uintptr) bool // bound once per connection, not per request
	peekBuf [1]byte
	closed  bool
}

// farAway: a deadline further ahead is no deadline (fasthttp's are
// now+noTimeout when the route has no total timeout).
const farAway = noTimeout / 2

// armSlack is how much earlier than wanted a deadline that waits wait may
// fire.
func armSlack(wait time.Duration) time.Duration {
	return min(wait/64, time.Second)
}

// effective is t with far-away deadlines as none.
func effective(t, now time.Time) time.Time {
	if !t.IsZero() && t.Sub(now) > farAway {
		return time.Time{}
	}
	return t
}

func (c *upConn) SetWriteDeadline(t time.Time) error {
	// A Read in progress means the connection is not idle, and the peek
	// would wait for its lock: that happens when tls.Conn.Close (sending
	// close_notify) interrupts a blocked body read from another goroutine.
	now := time.Now()
	if c.used && c.rc != nil && !c.reading.Load() {
		if !c.rdl.IsZero() && !now.Before(c.rdl) {
			// The last request's deadline, left on the socket, passed
			// while the connection was idle: the peek would only see that.
			if err := c.setRead(time.Time{}); err != nil {
				return err
			}
		}
		if c.peerClosed() {
			return errStaleConn
		}
	}
	c.used, c.armed = true, true
	return c.setWrite(effective(t, now))
}

func (c *upConn) setWrite(t time.Time) error {
	if t.Equal(c.wdl) {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	c.wdl = t
	return nil
}

func (c *upConn) setRead(t time.Time) error {
	if t.Equal(c.rdl) && !c.hdrSet {
		return nil
	}
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	c.rdl, c.hdrSet = t, false
	return nil
}

func (c *upConn) SetDeadline(t time.Time) error {
	t = effective(t, time.Now())
	if err := c.Conn.SetDeadline(t); err != nil {
		return err
	}
	c.wdl, c.rdl, c.hdrSet = t, t, false
	return nil
}

func (c *upConn) SetReadDeadline(t time.Time) error {
	now := time.Now()
	t = effective(t, now)
	if !c.armed || c.headerTimeout <= 0 {
		return c.setRead(t)
	}
	c.armed, c.firstByte, c.after = false, true, t
	d := now.Add(c.headerTimeout)
	if !t.IsZero() && t.Before(d) {
		d = t
	}
	if c.hdrSet && !d.Before(c.rdl) && d.Sub(c.rdl) < armSlack(d.Sub(now)) {
		return nil // the deadline on the socket is at most the slack early
	}
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return err
	}
	c.rdl, c.hdrSet = d, true
	return nil
}

func (c *upConn) Read(p []byte) (int, error) {
	c.reading.Store(true)
	defer c.reading.Store(false)
	for {
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.firstByte = false
		}
		// The header deadline fired after the response began: from then
		// on only the real deadline counts.
		if n == 0 && err != nil && !c.firstByte && c.hdrSet && errors.Is(err, os.ErrDeadlineExceeded) &&
			(c.after.IsZero() || time.Now().Before(c.after)) {
			if derr := c.setRead(c.after); derr != nil {
				return 0, err
			}
			continue
		}
		// The error goes out unwrapped: fasthttp recognises a timeout by a
		// type assertion, not errors.As.
		return n, err
	}
}

// peerClosed reports whether the upstream has closed the connection (EOF or
// reset pending), without blocking and without consuming data. Pending data
// on an idle connection (a TLS session ticket, say) is left for fasthttp.
func (c *upConn) peerClosed() bool {
	c.closed = false
	if err := c.rc.Read(c.peekFn); err != nil {
		return true
	}
	return c.closed
}

// dialUpstream connects to addr and, for https targets, completes the TLS
// handshake within the connect timeout (as the net/http transport's
// TLSHandshakeTimeout does); fasthttp uses a *tls.Conn as it is.
func dialUpstream(addr string, connect, headerTimeout time.Duration, tc *tls.Config) (net.Conn, error) {
	d := net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial upstream %s: %w", addr, err)
	}
	c := &upConn{Conn: raw, headerTimeout: headerTimeout}
	if canPeek {
		if sc, ok := raw.(syscall.Conn); ok {
			if c.rc, err = sc.SyscallConn(); err != nil {
				c.rc = nil
			}
		}
		c.peekFn = c.peek
	}
	if tc == nil {
		return c, nil
	}
	tlsConn := tls.Client(c, tc)
	ctx := context.Background()
	if connect > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connect)
		defer cancel()
	}
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake with upstream %s: %w", addr, err)
	}
	return tlsConn, nil
}
