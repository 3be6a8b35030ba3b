//go:build linux

// Package evloop is an epoll event loop for proxying: connections are
// served by callbacks on a few loops instead of a goroutine each, with
// reads that can be paused for backpressure.
//
// Why hand-written: a goroutine-per-connection proxy pays Go's scheduler
// twice per request (park on the client, park on the upstream), which is
// most of the gap to nginx (docs/benchmarks.md). The event-loop libraries
// for Go do not fit a proxy: gnet cannot pause reading a connection, so a
// slow client downloading from a fast upstream grows the proxy's memory
// without bound (gnet issue 722, closed unimplemented), and
// cloudwego/netpoll runs handlers on a goroutine pool and has the same
// gap (netpoll issue 422). This package is only what a proxy needs:
// accept, non-blocking dial, buffered writes flushed once per loop pass,
// read pause/resume, deadlines, and tasks posted from other goroutines.
package evloop

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Handler gets a loop's events. Every callback runs on the loop's
// goroutine and must not block.
type Handler interface {
	// Accept is called for each connection accepted on the loop's
	// listener; it sets c's context or closes c.
	Accept(c *Conn)
	// Data is called when c has new input: c.Data() holds everything
	// unconsumed, and the handler consumes what it used with c.Consume.
	Data(c *Conn)
	// Connected is called when a Dial completes; err is the failure.
	Connected(c *Conn, err error)
	// Drained is called when c's pending output has all been written.
	Drained(c *Conn)
	// Closed is called once when c closes, by either side; err is why:
	// nil for a local Close, ErrEOF for the peer's orderly close. A
	// failed Dial gets Connected with the error, then Closed.
	Closed(c *Conn, err error)
	// Timeout is called when c's deadline passes.
	Timeout(c *Conn)
}

// ErrEOF is the peer's orderly close, given to Handler.Closed.
var ErrEOF = errors.New("evloop: peer closed the connection")

// readSize is the loop's read buffer: one read per readable event.
const readSize = 64 << 10

// scanEvery is how often deadlines are checked: they are precise to this.
const scanEvery = 100 * time.Millisecond

// Loop is one epoll instance and the goroutine that runs it.
type Loop struct {
	h      Handler
	epfd   int
	wakefd int
	lnfd   int // -1: no listener
	conns  []*Conn
	count  int
	buf    []byte
	dirty  []*Conn
	events []unix.EpollEvent
	gen    int32

	mu    sync.Mutex
	tasks []func()
	spare []func()
	woken bool

	stopped bool
	done    chan struct{}
	now     time.Time // at the start of the current pass
}

// Now is the time the current pass of the loop began: for deadlines,
// which need no finer clock (one time.Now per pass, not per call, as
// nginx caches its time per event-loop iteration).
func (l *Loop) Now() time.Time { return l.now }

// New makes a loop that accepts on lnfd (shared by several loops, each
// woken exclusively) or, with lnfd < 0, only serves dialed connections.
// The loop owns neither lnfd nor h.
func New(h Handler, lnfd int) (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("evloop: epoll_create: %w", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("evloop: eventfd: %w", err)
	}
	l := &Loop{h: h, epfd: epfd, wakefd: wfd, lnfd: lnfd, buf: make([]byte, readSize),
		events: make([]unix.EpollEvent, 128), done: make(chan struct{})}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd), Pad: -1}); err != nil {
		l.closeFDs()
		return nil, fmt.Errorf("evloop: watch eventfd: %w", err)
	}
	if lnfd >= 0 {
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, lnfd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(lnfd), Pad: -2}); err != nil {
			l.closeFDs()
			return nil, fmt.Errorf("evloop: watch listener: %w", err)
		}
	}
	return l, nil
}

func (l *Loop) closeFDs() {
	_ = unix.Close(l.wakefd)
	_ = unix.Close(l.epfd)
}

// Post runs f on the loop's goroutine; it is safe from any goroutine.
// After the loop has stopped, f is dropped.
func (l *Loop) Post(f func()) {
	l.mu.Lock()
	l.tasks = append(l.tasks, f)
	wake := !l.woken
	l.woken = true
	l.mu.Unlock()
	if wake {
		var one = [8]byte{1}
		_, _ = unix.Write(l.wakefd, one[:])
	}
}

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Stop makes Run return after the current pass; call it on the loop
// (from a Handler callback or a posted task). Open connections are
// closed with their Closed callbacks.
func (l *Loop) Stop() { l.stopped = true }

// StopAccepting removes the listener from the loop; call it on the loop.
func (l *Loop) StopAccepting() {
	if l.lnfd >= 0 {
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, l.lnfd, nil)
		l.lnfd = -1
	}
}

// Conns is the number of open connections; call it on the loop.
func (l *Loop) Conns() int { return l.count }

// Each calls f for every open connection; call it on the loop. f may
// close the connection it is given.
func (l *Loop) Each(f func(*Conn)) {
	for _, c := range l.conns {
		if c != nil {
			f(c)
		}
	}
}

// Run serves the loop until Stop; an error means epoll itself failed.
func (l *Loop) Run() error {
	defer close(l.done)
	defer l.closeFDs()
	next := time.Now().Add(scanEvery)
	// While events keep coming, collect them without blocking; after an
	// empty collection, yield once, then wait (as gnet does).
	wait := int(scanEvery / time.Millisecond)
	msec := wait
	for !l.stopped {
		n, err := epollWait(l.epfd, l.events, msec)
		l.now = time.Now()
		switch {
		case n > 0:
			msec = 0
		case msec == 0:
			msec = wait
			runtime.Gosched()
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Only a bad epoll fd fails here: nothing can be served.
			l.closeAll()
			return fmt.Errorf("evloop: epoll_wait: %w", err)
		}
		for i := range max(n, 0) {
			ev := &l.events[i]
			switch ev.Pad {
			case -1:
				l.runTasks()
			case -2:
				l.accept()
			default:
				l.event(ev)
			}
		}
		l.flush()
		if !l.now.Before(next) {
			l.scan(l.now)
			l.flush()
			next = l.now.Add(scanEvery)
		}
	}
	l.closeAll()
	return nil
}

func (l *Loop) closeAll() {
	for _, c := range l.conns {
		if c != nil {
			c.closeWith(nil)
		}
	}
}

func (l *Loop) runTasks() {
	var b [8]byte
	_, _ = rawRead(l.wakefd, b[:])
	l.mu.Lock()
	tasks := l.tasks
	l.tasks, l.spare = l.spare[:0], nil
	l.woken = false
	l.mu.Unlock()
	for i, f := range tasks {
		f()
		tasks[i] = nil
	}
	l.mu.Lock()
	if l.spare == nil {
		l.spare = tasks[:0]
	}
	l.mu.Unlock()
}

// accept takes up to a few connections per readable event, so one busy
// listener does not starve the loop's established connections.
func (l *Loop) accept() {
	for range 32 {
		if l.lnfd < 0 {
			return
		}
		fd, sa, err := unix.Accept4(l.lnfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			// EAGAIN: another loop took it or none left. EMFILE and the
			// like: the kernel keeps the connection queued; retry later.
			return
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		c, err := l.add(fd, unix.EPOLLIN)
		if err != nil {
			_ = unix.Close(fd)
			continue
		}
		c.remote = addrPort(sa)
		l.h.Accept(c)
	}
}

// Dial starts a non-blocking TCP connect to addr; Handler.Connected
// reports the outcome. Call it on the loop.
func (l *Loop) Dial(addr netip.AddrPort, ctx any) (*Conn, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if a := addr.Addr().Unmap(); a.Is4() {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zoneID(a.Zone())}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("evloop: socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Connect(fd, sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("evloop: connect %s: %w", addr, err)
	}
	c, err := l.add(fd, unix.EPOLLOUT)
	if err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	c.remote, c.connecting, c.Ctx = addr, true, ctx
	return c, nil
}

func zoneID(z string) uint32 {
	if z == "" {
		return 0
	}
	if ifi, err := netInterfaceIndex(z); err == nil {
		return ifi
	}
	return 0
}

func (l *Loop) add(fd int, events uint32) (*Conn, error) {
	l.gen++
	if l.gen < 0 {
		l.gen = 0
	}
	c := &Conn{loop: l, fd: fd, gen: l.gen, events: events}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd), Pad: c.gen}); err != nil {
		return nil, fmt.Errorf("evloop: watch connection: %w", err)
	}
	for fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*Conn, max(64, len(l.conns)))...)
	}
	l.conns[fd] = c
	l.count++
	return c, nil
}

func (l *Loop) event(ev *unix.EpollEvent) {
	fd := int(ev.Fd)
	if fd >= len(l.conns) {
		return
	}
	c := l.conns[fd]
	if c == nil || c.gen != ev.Pad {
		return // closed earlier in this pass; the fd may be new
	}
	if c.connecting {
		if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		c.connecting = false
		var err error
		if e, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); gerr != nil {
			err = gerr
		} else if e != 0 {
			err = unix.Errno(e)
		}
		if err != nil {
			err = fmt.Errorf("evloop: connect %s: %w", c.remote, err)
			c.closing = true
			l.h.Connected(c, err)
			c.closeWith(err)
			return
		}
		c.setEvents(unix.EPOLLIN)
		if c.Pending() > 0 {
			c.markDirty()
		}
		l.h.Connected(c, nil)
		return
	}
	if ev.Events&unix.EPOLLOUT != 0 || (ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 && c.Pending() > 0) {
		c.writeOut()
		if c.closed {
			return
		}
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) != 0 && !c.paused {
		c.read()
	}
}

func (l *Loop) flush() {
	for i, c := range l.dirty {
		c.queued = false
		if !c.closed {
			c.writeOut()
		}
		l.dirty[i] = nil
	}
	l.dirty = l.dirty[:0]
}

func (l *Loop) scan(now time.Time) {
	t := now.UnixNano()
	for _, c := range l.conns {
		if c != nil && c.deadline != 0 && c.deadline <= t {
			c.deadline = 0
			l.h.Timeout(c)
		}
	}
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// ListenerFD returns a non-blocking duplicate of ln's socket, for New.
// The caller closes it with CloseFD once every loop using it has stopped.
func ListenerFD(ln *net.TCPListener) (int, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("evloop: listener fd: %w", err)
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = unix.Dup(int(s)) }); err != nil {
		return -1, fmt.Errorf("evloop: listener fd: %w", err)
	}
	if derr != nil {
		return -1, fmt.Errorf("evloop: dup listener: %w", derr)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("evloop: listener fd: %w", err)
	}
	return fd, nil
}

// CloseFD closes a descriptor from ListenerFD.
func CloseFD(fd int) error { return unix.Close(fd) }
