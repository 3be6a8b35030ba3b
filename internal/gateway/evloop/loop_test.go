//go:build linux

package evloop

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listenFD opens a loopback listener and returns its dup'ed fd.
func listenFD(t *testing.T) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fd, err := ListenerFD(ln.(*net.TCPListener))
	if err != nil {
		t.Fatal(err)
	}
	// The loop accepts on the duplicate; the original must not linger.
	addr := ln.Addr().String()
	_ = ln.Close()
	return fd, addr
}

// testHandler echoes lines; "pause\n" pauses reading for 200 ms, "detach\n"
// hands the connection to a goroutine that answers "goroutine: <rest>",
// "idle\n" arms a 150 ms deadline that closes the connection.
type testHandler struct {
	t        *testing.T
	loop     *Loop
	closed   atomic.Int32
	timeouts atomic.Int32
	detached chan net.Conn
	kept     chan []byte
	dialed   chan error
}

func (h *testHandler) Accept(c *Conn) { c.Ctx = "client" }

func (h *testHandler) Data(c *Conn) {
	for {
		d := c.Data()
		i := bytes.IndexByte(d, '\n')
		if i < 0 {
			return
		}
		line := string(d[:i])
		switch line {
		case "detach":
			c.Consume(i + 1)
			nc, kept, err := c.Detach()
			if err != nil {
				h.t.Error(err)
				return
			}
			h.detached <- nc
			h.kept <- kept
			return
		case "pause":
			c.Consume(i + 1)
			c.PauseRead()
			time.AfterFunc(200*time.Millisecond, func() { h.loop.Post(c.ResumeRead) })
			c.Write([]byte("paused\n"))
			return
		case "idle":
			c.Consume(i + 1)
			c.SetDeadline(time.Now().Add(150 * time.Millisecond))
			c.Write([]byte("idling\n"))
			continue
		}
		c.Write(d[:i+1])
		c.Consume(i + 1)
	}
}

func (h *testHandler) Connected(c *Conn, err error) { h.dialed <- err }
func (h *testHandler) Drained(*Conn)                {}
func (h *testHandler) Closed(*Conn, error)          { h.closed.Add(1) }
func (h *testHandler) Timeout(c *Conn)              { h.timeouts.Add(1); c.Close() }

func startLoop(t *testing.T) (*testHandler, string) {
	fd, addr := listenFD(t)
	h := &testHandler{t: t, detached: make(chan net.Conn, 1), kept: make(chan []byte, 1), dialed: make(chan error, 4)}
	l, err := New(h, fd)
	if err != nil {
		t.Fatal(err)
	}
	h.loop = l
	go func() { _ = l.Run() }()
	t.Cleanup(func() {
		l.Post(l.Stop)
		<-l.Done()
		_ = CloseFD(fd)
	})
	return h, addr
}

func TestLoopEchoPauseDetach(t *testing.T) {
	h, addr := startLoop(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	expect := func(want string) {
		t.Helper()
		got, err := r.ReadString('\n')
		if err != nil || got != want+"\n" {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	// Two lines in one write, then a line split across writes.
	_, _ = io.WriteString(c, "a\nb\n")
	expect("a")
	expect("b")
	_, _ = io.WriteString(c, "par")
	time.Sleep(20 * time.Millisecond)
	_, _ = io.WriteString(c, "tial\n")
	expect("partial")

	// While paused, input waits in the kernel and is served after.
	start := time.Now()
	_, _ = io.WriteString(c, "pause\nafter\n")
	expect("paused")
	expect("after")
	if time.Since(start) < 150*time.Millisecond {
		t.Errorf("input was read while paused")
	}

	// Detach hands over the connection with what was read but not used.
	_, _ = io.WriteString(c, "detach\nleft over\n")
	nc := <-h.detached
	kept := <-h.kept
	go func() {
		defer nc.Close()
		rest, _ := bufio.NewReader(io.MultiReader(bytes.NewReader(kept), nc)).ReadString('\n')
		_, _ = io.WriteString(nc, "goroutine: "+rest)
	}()
	expect("goroutine: left over")
}

func TestLoopDeadlineAndDial(t *testing.T) {
	h, addr := startLoop(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "idle\n")
	if b, err := io.ReadAll(c); err != nil || string(b) != "idling\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	if h.timeouts.Load() != 1 {
		t.Errorf("timeouts = %d", h.timeouts.Load())
	}

	// Dial from the loop: a refused port fails, the listener succeeds.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := ln.Addr().String()
	_ = ln.Close()
	for _, tc := range []struct {
		addr string
		ok   bool
	}{{addr, true}, {refused, false}} {
		ap := netip.MustParseAddrPort(tc.addr)
		h.loop.Post(func() {
			if _, err := h.loop.Dial(ap, "up"); err != nil {
				h.dialed <- err
			}
		})
		select {
		case err := <-h.dialed:
			if (err == nil) != tc.ok {
				t.Errorf("dial %s: %v", tc.addr, err)
			}
			if err != nil && !strings.Contains(err.Error(), "connect") {
				t.Errorf("dial error %q does not say what failed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no Connected callback")
		}
	}
}

func TestLoopPeerClose(t *testing.T) {
	h, addr := startLoop(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, "x\n")
	buf := make([]byte, 2)
	_, _ = io.ReadFull(c, buf)
	_ = c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for h.closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.closed.Load() != 1 {
		t.Fatalf("closed = %d", h.closed.Load())
	}
}
