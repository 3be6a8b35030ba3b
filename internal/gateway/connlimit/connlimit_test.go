package connlimit

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// serve accepts on l and holds every connection open until it is closed by
// the client; it returns a func that waits for the server to stop.
func serve(t *testing.T, l net.Listener) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
}

// admitted reports whether the server kept the connection: a rejected one
// is closed at once, so a read sees EOF; a kept one times out.
func admitted(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		dial     int
		want     []bool
		rejected string
	}{
		{"per ip", Options{MaxConnsPerIP: 2}, 3, []bool{true, true, false}, "per_ip"},
		{"total", Options{MaxConns: 1}, 2, []bool{true, false}, "total"},
		{"rate", Options{RatePerIP: 0.001, BurstPerIP: 2}, 3, []bool{true, true, false}, "rate"},
		{"unlimited", Options{}, 3, []bool{true, true, true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var reasons []string
			tt.opts.OnReject = func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() }
			l := New(inner, tt.opts)
			serve(t, l)
			var got []bool
			for range tt.dial {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				got = append(got, admitted(t, c))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("connection %d admitted = %v, want %v", i, got[i], tt.want[i])
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.rejected != "" && (len(reasons) != 1 || reasons[0] != tt.rejected) {
				t.Errorf("reject reasons = %v, want [%s]", reasons, tt.rejected)
			}
		})
	}
}

// TestSlotReleased: closing a connection frees its per-IP slot.
func TestSlotReleased(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, Options{MaxConnsPerIP: 1})
	serve(t, l)
	c1, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if !admitted(t, c1) {
		t.Fatal("first connection rejected")
	}
	c1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for l.Conns() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c2, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if !admitted(t, c2) {
		t.Error("connection after a close was rejected")
	}
}
