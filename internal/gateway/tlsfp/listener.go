package tlsfp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ListenerOptions configure NewListener.
type ListenerOptions struct {
	// HelloTimeout bounds how long a client may take to send its whole
	// ClientHello (default 10s). An earlier read deadline set on the conn
	// wins.
	HelloTimeout time.Duration
	// MaxHelloBytes bounds the bytes read before the hello is complete
	// (default and maximum: the package's MaxHelloBytes).
	MaxHelloBytes int
	// OnError is called, from the connection's reading goroutine, when a
	// connection is closed because its hello is missing, garbage, too
	// large or too slow.
	OnError func(remote net.Addr, err error)
	Logger  *slog.Logger
}

const defaultHelloTimeout = 10 * time.Second

// Conn is what the listener's Accept returns: a net.Conn whose first
// records are read ahead to compute the client's fingerprint.
type Conn interface {
	net.Conn
	// Fingerprint is nil until the first Read has read the whole hello
	// (for a TLS server: once the handshake has started).
	Fingerprint() *Fingerprint
}

// listener wraps accepted connections; it reads nothing itself, so one slow
// client never holds up Accept.
type listener struct {
	net.Listener
	opts ListenerOptions
	log  *slog.Logger
}

var _ net.Listener = (*listener)(nil)

// NewListener returns a listener whose connections fingerprint the
// ClientHello on their first Read and then replay the bytes read, so the
// TLS stack (tls.NewListener over this one) sees the untouched stream.
func NewListener(inner net.Listener, opts ListenerOptions) net.Listener {
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = defaultHelloTimeout
	}
	if opts.MaxHelloBytes <= 0 || opts.MaxHelloBytes > MaxHelloBytes {
		opts.MaxHelloBytes = MaxHelloBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &listener{Listener: inner, opts: opts, log: log}
}

// Accept returns the next connection as a Conn.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, l: l}, nil
}

// conn reads the hello on its first Read and replays it.
type conn struct {
	net.Conn
	l *listener

	once    sync.Once
	peekErr error
	replay  []byte
	fp      atomic.Pointer[Fingerprint]

	mu           sync.Mutex
	peeking      bool
	readDeadline time.Time // the caller's, restored after the peek
}

var _ Conn = (*conn)(nil)

func (c *conn) Fingerprint() *Fingerprint { return c.fp.Load() }

func (c *conn) Read(b []byte) (int, error) {
	c.once.Do(c.peek)
	if c.peekErr != nil {
		return 0, c.peekErr
	}
	if len(c.replay) > 0 {
		n := copy(b, c.replay)
		c.replay = c.replay[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// SetDeadline and SetReadDeadline remember the caller's read deadline so the
// peek can honour it and restore it afterwards.
func (c *conn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	if c.peeking {
		return nil // applied when the peek ends
	}
	return c.Conn.SetReadDeadline(t)
}

// peek reads TLS records until the ClientHello is complete, within the
// hello timeout and byte budget, and keeps everything read for replay.
func (c *conn) peek() {
	c.mu.Lock()
	c.peeking = true
	deadline := time.Now().Add(c.l.opts.HelloTimeout)
	if user := c.readDeadline; !user.IsZero() && user.Before(deadline) {
		deadline = user
	}
	c.mu.Unlock()

	err := c.Conn.SetReadDeadline(deadline)
	var ch *ClientHello
	if err == nil {
		ch, err = c.readHello()
	}

	c.mu.Lock()
	c.peeking = false
	restoreErr := c.Conn.SetReadDeadline(c.readDeadline)
	c.mu.Unlock()
	if err == nil {
		err = restoreErr
	}
	if err != nil {
		c.fail(err)
		return
	}
	fp := ch.Fingerprint(ProtoTCP)
	c.fp.Store(&fp)
}

func (c *conn) readHello() (*ClientHello, error) {
	max := c.l.opts.MaxHelloBytes
	buf := make([]byte, 0, 2048)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := c.Conn.Read(buf[len(buf):min(cap(buf), max)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			ch, perr := Parse(buf)
			if perr == nil {
				c.replay = buf
				return ch, nil
			}
			if !errors.Is(perr, ErrTruncated) {
				return nil, perr
			}
			if len(buf) >= max {
				return nil, fmt.Errorf("no complete client hello in %d bytes: %w", max, ErrTooLarge)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("connection closed after %d bytes: %w", len(buf), ErrTruncated)
			}
			return nil, fmt.Errorf("read client hello after %d bytes: %w", len(buf), err)
		}
	}
}

// fail closes the connection: a client whose hello cannot be read gets no
// TLS service (fail closed), and the next Read reports why.
func (c *conn) fail(err error) {
	c.peekErr = fmt.Errorf("tls fingerprint: %w", err)
	_ = c.Conn.Close()
	remote := c.Conn.RemoteAddr()
	c.l.log.Debug("tls client hello rejected", "remote", remote.String(), "err", err)
	if c.l.opts.OnError != nil {
		c.l.opts.OnError(remote, err)
	}
}

// FromConn returns the fingerprint of a connection accepted by a tlsfp
// listener, looking through *tls.Conn and any wrapper with NetConn().
func FromConn(c net.Conn) (*Fingerprint, bool) {
	for range 8 { // wrappers nest a few levels at most
		switch v := c.(type) {
		case Conn:
			fp := v.Fingerprint()
			return fp, fp != nil
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil, false
		}
	}
	return nil, false
}
