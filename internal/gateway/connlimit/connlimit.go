// Package connlimit is a net.Listener wrapper that bounds concurrent
// connections in total and per client IP, and the rate of new connections
// per IP. Excess connections are closed at accept, before TLS or HTTP work.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options bound a listener; zero means unlimited.
type Options struct {
	MaxConns      int
	MaxConnsPerIP int
	// RatePerIP is new connections per second per IP, with BurstPerIP.
	RatePerIP  float64
	BurstPerIP int
	// OnReject is called with "total", "per_ip" or "rate" for every
	// connection closed at accept.
	OnReject func(reason string)
}

// Listener enforces Options on an inner listener.
type Listener struct {
	net.Listener
	o     Options
	total atomic.Int64
	mu    sync.Mutex
	perIP map[netip.Addr]*client
	sweep time.Time
}

type client struct {
	conns   int
	limiter *rate.Limiter
	seen    time.Time
}

// New wraps inner.
func New(inner net.Listener, o Options) *Listener {
	if o.OnReject == nil {
		o.OnReject = func(string) {}
	}
	if o.RatePerIP > 0 && o.BurstPerIP <= 0 {
		o.BurstPerIP = max(1, int(o.RatePerIP))
	}
	return &Listener{Listener: inner, o: o, perIP: map[netip.Addr]*client{}}
}

// Accept returns the next connection within the limits; it closes the
// others itself and keeps accepting.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if reason := l.admit(c); reason != "" {
			l.o.OnReject(reason)
			_ = c.Close()
			continue
		}
		return &conn{Conn: c, l: l}, nil
	}
}

// conn gives its slot back exactly once on Close.
type conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.Conn) })
	return err
}

// NetConn returns the accepted connection, for wrappers that look through.
func (c *conn) NetConn() net.Conn { return c.Conn }

func (l *Listener) admit(c net.Conn) string { return l.Admit(addrOf(c.RemoteAddr())) }

// Admit applies the limits to a connection from ip accepted elsewhere (an
// event loop accepts on the socket itself): "" admits it, and then Release
// must follow when it closes; otherwise it is the reason to close it, and
// the caller counts the rejection.
func (l *Listener) Admit(ip netip.Addr) string {
	if l.o.MaxConns > 0 && l.total.Load() >= int64(l.o.MaxConns) {
		return "total"
	}
	track := (l.o.MaxConnsPerIP > 0 || l.o.RatePerIP > 0) && ip.IsValid()
	if track {
		now := time.Now()
		l.mu.Lock()
		l.sweepLocked(now)
		cl := l.perIP[ip]
		if cl == nil {
			cl = &client{}
			if l.o.RatePerIP > 0 {
				cl.limiter = rate.NewLimiter(rate.Limit(l.o.RatePerIP), l.o.BurstPerIP)
			}
			l.perIP[ip] = cl
		}
		cl.seen = now
		if cl.limiter != nil && !cl.limiter.AllowN(now, 1) {
			l.mu.Unlock()
			return "rate"
		}
		if l.o.MaxConnsPerIP > 0 && cl.conns >= l.o.MaxConnsPerIP {
			l.mu.Unlock()
			return "per_ip"
		}
		cl.conns++
		l.mu.Unlock()
	}
	l.total.Add(1)
	return ""
}

// sweepLocked forgets idle clients at most once a minute so the map is
// bounded by the clients of the last minute.
func (l *Listener) sweepLocked(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for ip, cl := range l.perIP {
		if cl.conns == 0 && now.Sub(cl.seen) > time.Minute {
			delete(l.perIP, ip)
		}
	}
}

func (l *Listener) release(c net.Conn) { l.Release(addrOf(c.RemoteAddr())) }

// Release gives back the slot of a connection Admit admitted.
func (l *Listener) Release(ip netip.Addr) {
	l.total.Add(-1)
	if !ip.IsValid() || (l.o.MaxConnsPerIP <= 0 && l.o.RatePerIP <= 0) {
		return
	}
	l.mu.Lock()
	if cl := l.perIP[ip]; cl != nil && cl.conns > 0 {
		cl.conns--
	}
	l.mu.Unlock()
}

// Conns is the number of open accepted connections.
func (l *Listener) Conns() int { return int(l.total.Load()) }

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
