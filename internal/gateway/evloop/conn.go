//go:build linux

package evloop

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a connection on a loop. Its methods must be called on the loop.
type Conn struct {
	// Ctx is the handler's state for the connection.
	Ctx any

	loop   *Loop
	fd     int
	gen    int32
	remote netip.AddrPort
	events uint32

	in   []byte // unconsumed input kept between Data calls
	view []byte // what Data sees during a callback
	used int

	out []byte // output; out[off:] is not yet written
	off int

	deadline   int64
	connecting bool
	paused     bool
	queued     bool
	closing    bool
	closed     bool
	wantDrain  bool
}

// Remote is the peer's address.
func (c *Conn) Remote() netip.AddrPort { return c.remote }

// Loop is the loop c belongs to.
func (c *Conn) Loop() *Loop { return c.loop }

// Closed reports whether c has been closed.
func (c *Conn) Closed() bool { return c.closed }

// Data is the unconsumed input, valid until the callback returns or the
// next Consume.
func (c *Conn) Data() []byte { return c.view[c.used:] }

// Consume marks n bytes of Data as used.
func (c *Conn) Consume(n int) { c.used += min(n, len(c.view)-c.used) }

// Buffered is the number of input bytes read and not yet consumed.
func (c *Conn) Buffered() int {
	if c.view != nil {
		return len(c.view) - c.used
	}
	return len(c.in)
}

// Connecting reports whether a Dial is still in progress.
func (c *Conn) Connecting() bool { return c.connecting }

// Write queues p; queued output is written once per loop pass, so a
// header and a body written in one callback go out in one write(2).
func (c *Conn) Write(p []byte) {
	if c.closed {
		return
	}
	c.out = append(c.out, p...)
	c.markDirty()
}

// Pending is the number of queued output bytes not yet written.
func (c *Conn) Pending() int { return len(c.out) - c.off }

// NotifyDrained asks for one Handler.Drained call when the pending
// output has been written (at once on the next pass if there is none).
func (c *Conn) NotifyDrained() {
	c.wantDrain = true
	c.markDirty()
}

func (c *Conn) markDirty() {
	// A connecting socket cannot be written yet: the output waits for
	// the connect to complete.
	if !c.queued && !c.connecting {
		c.queued = true
		c.loop.dirty = append(c.loop.dirty, c)
	}
}

// SetDeadline makes the loop call Handler.Timeout once t has passed
// (within 100 ms); the zero time clears it.
func (c *Conn) SetDeadline(t time.Time) {
	if t.IsZero() {
		c.deadline = 0
		return
	}
	c.deadline = t.UnixNano()
}

// PauseRead stops reading c until ResumeRead: the kernel's buffers fill
// and TCP slows the peer.
func (c *Conn) PauseRead() {
	if c.paused || c.closed {
		return
	}
	c.paused = true
	c.setEvents(c.events &^ unix.EPOLLIN)
}

// ResumeRead undoes PauseRead. Input that arrived meanwhile is read on
// the next pass; input kept unconsumed is offered again then too.
func (c *Conn) ResumeRead() {
	if !c.paused || c.closed {
		return
	}
	c.paused = false
	c.setEvents(c.events | unix.EPOLLIN)
	c.Kick()
}

// Kick offers the kept unconsumed input to Handler.Data again on the
// next pass (after the handler became ready for it).
func (c *Conn) Kick() {
	if len(c.in) == 0 || c.closed {
		return
	}
	c.loop.Post(func() {
		if !c.closed && !c.paused && len(c.in) > 0 {
			c.deliver(nil)
		}
	})
}

// Paused reports whether reading is paused.
func (c *Conn) Paused() bool { return c.paused }

func (c *Conn) setEvents(ev uint32) {
	if ev == c.events || c.closed {
		return
	}
	c.events = ev
	_ = unix.EpollCtl(c.loop.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd), Pad: c.gen})
}

func (c *Conn) read() {
	n, err := rawRead(c.fd, c.loop.buf)
	switch {
	case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
		return
	case err != nil:
		c.closeWith(fmt.Errorf("evloop: read: %w", err))
		return
	case n == 0:
		c.closeWith(ErrEOF)
		return
	}
	c.deliver(c.loop.buf[:n])
}

// deliver offers kept input plus p to the handler, then keeps what it
// left unconsumed.
func (c *Conn) deliver(p []byte) {
	if len(c.in) == 0 {
		c.view = p
	} else {
		c.in = append(c.in, p...)
		c.view = c.in
	}
	c.used = 0
	c.loop.h.Data(c)
	if c.closed {
		return
	}
	rest := c.view[c.used:]
	switch {
	case len(rest) == 0:
		c.in = c.in[:0]
		if cap(c.in) > readSize {
			c.in = nil // do not pin a big buffer on an idle connection
		}
	case len(c.in) == 0:
		c.in = append(c.in, rest...) // rest is the loop's buffer
	default:
		c.in = c.in[:copy(c.in, rest)]
	}
	c.view, c.used = nil, 0
}

func (c *Conn) writeOut() {
	for c.off < len(c.out) {
		n, err := rawWrite(c.fd, c.out[c.off:])
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.EAGAIN) {
				c.setEvents(c.events | unix.EPOLLOUT)
				return
			}
			c.closeWith(fmt.Errorf("evloop: write: %w", err))
			return
		}
		c.off += n
	}
	// The buffer is kept for the next response unless it grew large.
	c.out, c.off = c.out[:0], 0
	if cap(c.out) > readSize {
		c.out = nil
	}
	c.setEvents(c.events &^ unix.EPOLLOUT)
	if c.closing {
		c.closeWith(nil)
		return
	}
	if c.wantDrain {
		c.wantDrain = false
		c.loop.h.Drained(c)
	}
}

// Close closes c at once, dropping pending output.
func (c *Conn) Close() { c.closeWith(nil) }

// CloseAfterWrite closes c once its pending output is written.
func (c *Conn) CloseAfterWrite() {
	if c.closed {
		return
	}
	c.closing = true
	c.PauseRead()
	c.markDirty()
}

func (c *Conn) closeWith(err error) {
	if c.closed {
		return
	}
	c.closed = true
	l := c.loop
	if c.fd < len(l.conns) && l.conns[c.fd] == c {
		l.conns[c.fd] = nil
		l.count--
	}
	// close(2) removes the fd from the epoll set.
	_ = unix.Close(c.fd)
	c.in, c.out, c.view = nil, nil, nil
	l.h.Closed(c, err)
}

// Detach takes c off the loop and returns it as a net.Conn for a
// goroutine to serve, with the input read but not consumed first. No
// callback follows for c. Call it on the loop, outside Data or with
// nothing consumed after the bytes the new owner must see.
func (c *Conn) Detach() (net.Conn, []byte, error) {
	if c.closed {
		return nil, nil, net.ErrClosed
	}
	kept := append([]byte(nil), c.view[c.used:]...)
	if c.view == nil {
		kept = append(kept[:0], c.in...)
	}
	if c.Pending() > 0 {
		return nil, nil, errors.New("evloop: detach with output pending")
	}
	c.closed = true
	l := c.loop
	if l.conns[c.fd] == c {
		l.conns[c.fd] = nil
		l.count--
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	f := os.NewFile(uintptr(c.fd), "evloop")
	nc, err := net.FileConn(f) // dups the fd into Go's netpoller
	_ = f.Close()
	c.in, c.out, c.view = nil, nil, nil
	if err != nil {
		return nil, nil, fmt.Errorf("evloop: detach: %w", err)
	}
	return nc, kept, nil
}

func netInterfaceIndex(name string) (uint32, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}
