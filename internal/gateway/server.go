package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/connlimit"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
	"github.com/rampart-sec/rampart/internal/gateway/ratelimit"
	"github.com/rampart-sec/rampart/internal/gateway/tlsfp"
)

// Options are the gateway's collaborators.
type Options struct {
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	// Events receives security events; nil drops them.
	Events finding.Sink
	// AccessLog, when set, receives the per-request log lines, encoded by
	// the gateway in the shape Logger's JSON handler gives them (it must
	// be that handler's writer, without attributes added by With); nil
	// sends them through Logger. Logger's level still decides whether
	// they are written.
	AccessLog io.Writer
}

// Server is a running gateway: its listeners are fixed at start, its
// routes, guards, upstreams and certificates can be reloaded.
type Server struct {
	log     *slog.Logger
	m       *metrics.Metrics
	events  finding.Sink
	ids     *requestIDs
	access  *accessWriter // nil: access lines go through log
	limiter ratelimit.Limiter
	backend config.RateLimitBackend
	onErr   string

	state    atomic.Pointer[state]
	reloadMu sync.Mutex
	ctx      context.Context

	listen  []config.Listener
	limits  config.Limits
	admin   config.Admin
	memLim  string
	engine  string
	lns     []net.Listener
	servers []*http.Server
	// Under the fasthttp engine: fast serves HTTP/1.1; lnMode says how each
	// listener is served; h1q and h2q are the TLS listeners' hand-offs.
	fast     *fasthttp.Server
	lnMode   []lnMode
	h1q, h2q []*connQueue
	ev       []*evEngine // under the evloop engine, per cleartext listener
	adminLn  net.Listener
	adminSv  *http.Server
	ready    atomic.Bool
}

// New builds a gateway for cfg; Listen opens its sockets and Serve runs it.
func New(ctx context.Context, cfg *config.Config, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	s := &Server{log: o.Logger, m: o.Metrics, events: o.Events, ids: newRequestIDs(), ctx: ctx,
		listen: cfg.Listen, limits: cfg.Limits, admin: cfg.Admin, memLim: cfg.MemoryLimit, engine: cfg.HTTP1Engine}
	if o.AccessLog != nil {
		s.access = newAccessWriter(o.AccessLog)
	}
	lim, err := newLimiter(cfg, s.log, s.m)
	if err != nil {
		return nil, err
	}
	s.limiter, s.backend, s.onErr = lim, cfg.RateLimitBackend, cfg.OnBackendError
	st, err := buildState(ctx, cfg, s.deps())
	if err != nil {
		return nil, err
	}
	s.state.Store(st)
	return s, nil
}

func (s *Server) deps() deps {
	return deps{log: s.log, metrics: s.m, limiter: s.limiter, emit: s.emit}
}

// Reload builds a state from cfg and swaps it in. On error the running
// state stays. Listener addresses, TLS on/off, h2c and connection limits
// are fixed at start: changing them needs a restart and is refused here.
func (s *Server) Reload(cfg *config.Config) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if err := sameListeners(s.listen, cfg.Listen); err != nil {
		s.m.Reloads.WithLabelValues("error").Inc()
		return err
	}
	if cfg.Admin != s.admin {
		s.m.Reloads.WithLabelValues("error").Inc()
		return errors.New("admin changed: restart the gateway to apply it")
	}
	if cfg.MemoryLimit != s.memLim {
		s.m.Reloads.WithLabelValues("error").Inc()
		return errors.New("memory_limit changed: restart the gateway to apply it")
	}
	if cfg.HTTP1Engine != s.engine {
		s.m.Reloads.WithLabelValues("error").Inc()
		return errors.New("http1_engine changed: restart the gateway to apply it")
	}
	if cfg.Limits != s.limits {
		s.m.Reloads.WithLabelValues("error").Inc()
		return errors.New("limits changed: restart the gateway to apply them")
	}
	if !reflect.DeepEqual(cfg.RateLimitBackend, s.backend) || cfg.OnBackendError != s.onErr {
		s.m.Reloads.WithLabelValues("error").Inc()
		return errors.New("rate_limit_backend or on_backend_error changed: restart the gateway to apply it")
	}
	st, err := buildState(s.ctx, cfg, s.deps())
	if err != nil {
		s.m.Reloads.WithLabelValues("error").Inc()
		return err
	}
	old := s.state.Swap(st)
	// Requests that loaded the old state keep using its pools; closing only
	// stops health checks and idle connections.
	old.close()
	s.m.Reloads.WithLabelValues("ok").Inc()
	s.log.Info("configuration reloaded", "routes", len(st.routes))
	return nil
}

func sameListeners(a, b []config.Listener) error {
	if len(a) != len(b) {
		return errors.New("listen changed: restart the gateway to apply listener changes")
	}
	for i := range a {
		if a[i].Address != b[i].Address || (a[i].TLS == nil) != (b[i].TLS == nil) || a[i].H2C != b[i].H2C {
			return fmt.Errorf("listen[%d] changed: restart the gateway to apply listener changes", i)
		}
	}
	return nil
}

// Listen opens every listener and the admin listener.
func (s *Server) Listen() error {
	for i, lc := range s.listen {
		ln, err := net.Listen("tcp", lc.Address)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen %s: %w", lc.Address, err)
		}
		raw := ln
		var limit *connlimit.Listener
		l := s.limits
		if l.MaxConns > 0 || l.MaxConnsPerIP > 0 || l.ConnRatePerIP > 0 {
			limit = connlimit.New(ln, connlimit.Options{
				MaxConns: l.MaxConns, MaxConnsPerIP: l.MaxConnsPerIP, RatePerIP: l.ConnRatePerIP, BurstPerIP: l.ConnBurstPerIP,
				OnReject: func(reason string) { s.m.ConnRejected.WithLabelValues(reason).Inc() },
			})
			ln = limit
		}
		mode := modeNetHTTP
		var ev *evEngine
		switch {
		case s.engine == config.EngineEvloop && lc.TLS == nil && !lc.H2C:
			mode = modeEv
			if ev, err = s.newEvEngine(i, raw, limit); err != nil {
				_ = ln.Close()
				s.closeListeners()
				return fmt.Errorf("listen %s: %w", lc.Address, err)
			}
		case s.engine == config.EngineNetHTTP || lc.H2C:
			// h2c needs net/http for the whole connection (prior knowledge
			// or Upgrade), so such listeners stay on it.
			if lc.TLS != nil {
				ln = tls.NewListener(s.fingerprinted(ln, lc), s.listenerTLS(i))
			}
		case lc.TLS != nil:
			mode = modeFastTLS
			ln = s.fingerprinted(ln, lc)
		default:
			mode = modeFast
		}
		if mode != modeNetHTTP && s.fast == nil {
			s.fast = s.newFastServer()
		}
		var h1, h2 *connQueue
		if mode == modeFastTLS {
			h1, h2 = newConnQueue(ln.Addr()), newConnQueue(ln.Addr())
		}
		s.lns = append(s.lns, ln)
		s.ev = append(s.ev, ev)
		s.lnMode = append(s.lnMode, mode)
		s.h1q, s.h2q = append(s.h1q, h1), append(s.h2q, h2)
		s.servers = append(s.servers, s.httpServer(i, lc))
	}
	if s.admin.Address != "" {
		ln, err := net.Listen("tcp", s.admin.Address)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen admin %s: %w", s.admin.Address, err)
		}
		s.adminLn = ln
		s.adminSv = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	}
	return nil
}

// lnMode is how a listener is served.
type lnMode int

const (
	modeNetHTTP lnMode = iota // net/http: HTTP/1.1, h2 over TLS, h2c
	modeFast                  // fasthttp, cleartext HTTP/1.1
	modeFastTLS               // TLS; fasthttp for HTTP/1.1, net/http for h2
	modeEv                    // cleartext HTTP/1.1 on event loops, the rest handed to fasthttp
)

// listenerTLS terminates TLS with the current state's config for listener
// i, looked up per handshake so reloaded certificates apply.
func (s *Server) listenerTLS(i int) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			if c := s.state.Load().tlsConfigs[i]; c != nil {
				return c, nil
			}
			return nil, errors.New("no TLS configuration for listener")
		},
	}
}

// fingerprinted records each connection's ClientHello for JA3/JA4 unless
// the listener turns fingerprinting off.
func (s *Server) fingerprinted(ln net.Listener, lc config.Listener) net.Listener {
	if f := lc.TLS.Fingerprint; f != nil && !*f {
		return ln
	}
	return tlsfp.NewListener(ln, tlsfp.ListenerOptions{Logger: s.log, HelloTimeout: s.limits.ReadHeaderTimeout})
}

func (s *Server) httpServer(i int, lc config.Listener) *http.Server {
	l := s.limits
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connInfo{conn: c, listener: i})
		},
		// Go's HTTP/2 server bounds concurrent streams per connection and,
		// since Go 1.21.3, queues handlers beyond that and closes
		// connections that reset streams faster than they finish
		// (CVE-2023-44487, rapid reset).
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: int(l.H2MaxStreams)},
	}
	var p http.Protocols
	p.SetHTTP1(true)
	if lc.TLS != nil {
		p.SetHTTP2(true)
		hs.TLSConfig = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	}
	if lc.H2C {
		p.SetUnencryptedHTTP2(true)
	}
	hs.Protocols = &p
	return hs
}

// Addrs are the bound proxy listener addresses, in config order.
func (s *Server) Addrs() []string {
	out := make([]string, len(s.lns))
	for i, l := range s.lns {
		out[i] = l.Addr().String()
	}
	return out
}

// AdminAddr is the bound admin address, "" without one.
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

func (s *Server) closeListeners() {
	for _, l := range s.lns {
		_ = l.Close()
	}
	if s.adminLn != nil {
		_ = s.adminLn.Close()
	}
}

// Serve runs until ctx ends, then stops accepting, drains in-flight
// requests for up to limits.shutdown_timeout and returns.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 3*len(s.servers)+1)
	for i, hs := range s.servers {
		switch s.lnMode[i] {
		case modeNetHTTP:
			go func() { errc <- hs.Serve(s.lns[i]) }()
		case modeFast:
			go func() { errc <- s.fast.Serve(s.lns[i]) }()
		case modeEv:
			go func() { errc <- s.ev[i].run() }()
			go func() { errc <- s.fast.Serve(s.ev[i].q) }()
		case modeFastTLS:
			go func() { errc <- s.acceptTLS(s.lns[i], i, s.h1q[i], s.h2q[i]) }()
			go func() { errc <- s.fast.Serve(s.h1q[i]) }()
			go func() { errc <- hs.Serve(s.h2q[i]) }()
		}
	}
	if s.adminSv != nil {
		go func() { errc <- s.adminSv.Serve(s.adminLn) }()
	}
	s.ready.Store(true)
	s.log.Info("gateway listening", "addrs", s.Addrs(), "admin", s.AdminAddr())
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("serve: %w", err)
	}
	s.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.limits.ShutdownTimeout)
	defer cancel()
	// The TLS dispatchers stop with their listeners; fasthttp closes its
	// own (and the hand-off queues) and waits for its connections.
	for i, ln := range s.lns {
		if s.lnMode[i] == modeFastTLS || s.lnMode[i] == modeEv {
			_ = ln.Close()
		}
	}
	// The event loops drain while fasthttp does (the connections the
	// loops handed it).
	var evWG sync.WaitGroup
	for _, ev := range s.ev {
		if ev != nil {
			evWG.Go(func() { ev.shutdown(sctx) })
		}
	}
	if s.fast != nil {
		if e := s.fast.ShutdownWithContext(sctx); e != nil {
			err = errors.Join(err, fmt.Errorf("shutdown: %w", e))
		}
	}
	for _, hs := range s.servers {
		if e := hs.Shutdown(sctx); e != nil {
			err = errors.Join(err, fmt.Errorf("shutdown: %w", e))
		}
	}
	evWG.Wait()
	if s.adminSv != nil {
		_ = s.adminSv.Shutdown(sctx)
	}
	s.state.Load().close()
	s.log.Info("gateway stopped")
	return err
}

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if s.admin.Pprof {
		// Registered by hand on this mux: the package's init also puts them
		// on http.DefaultServeMux, which the gateway never serves.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}
