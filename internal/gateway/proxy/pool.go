// Package proxy forwards requests to a pool of upstream targets: balancing,
// active health checks, passive ejection, retries of idempotent requests,
// load shedding and a tuned transport under httputil.ReverseProxy; ServeFast
// (fast.go) is the same on fasthttp for the fasthttp front end.
package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
)

// ErrNoTarget means every target is unhealthy or ejected.
var ErrNoTarget = errors.New("no healthy upstream target")

// Target is one upstream server.
type Target struct {
	URL      *url.URL
	name     string
	inflight atomic.Int64
	fails    atomic.Int32
	// ejectedUntil is a UnixNano time; 0 when not ejected.
	ejectedUntil atomic.Int64
	healthy      atomic.Bool
	// fast is the target's connection pool for ServeFast.
	fast  *fasthttp.HostClient
	https bool
	// addr is where the event loop dials; invalid when it cannot.
	addr netip.AddrPort
	// Health-check streaks, touched only by the checker goroutine.
	okStreak, failStreak int
}

func (t *Target) available(now int64) bool {
	return t.healthy.Load() && t.ejectedUntil.Load() <= now
}

// Options are what a pool needs from the gateway.
type Options struct {
	Route    string
	Timeouts config.Timeouts
	// Rewrite sets forwarding and fingerprint headers on the outbound request
	// after the pool has pointed it at the upstream.
	Rewrite        func(*httputil.ProxyRequest)
	ModifyResponse func(*http.Response) error
	Log            *slog.Logger
	Metrics        *metrics.Metrics
	// RewriteFast is Rewrite for ServeFast: it sets forwarding headers on
	// the outbound request once, after hop-by-hop headers are removed and
	// before the first attempt.
	RewriteFast func(ctx *fasthttp.RequestCtx, out *fasthttp.Request)
	// DropRequest names request headers ServeFast removes before
	// RewriteFast (with the hop-by-hop ones): those RewriteFast sets, so
	// that it can add them without looking for a client's copy.
	DropRequest []string
	// StripResponse names response headers ServeFast removes from every
	// upstream response (origin hiding). ServeHTTP uses ModifyResponse.
	StripResponse []string
}

// Pool is one route's upstream.
type Pool struct {
	route     string
	targets   []*Target
	leastConn bool
	rr        atomic.Uint64
	retries   int
	passive   config.Passive
	hc        *config.HealthCheck
	transport *http.Transport
	proxy     *httputil.ReverseProxy
	log       *slog.Logger
	m         *metrics.Metrics
	total     time.Duration
	timeouts  config.Timeouts
	evented   bool // see Evented
	upDur     prometheus.Observer

	rewriteFast func(*fasthttp.RequestCtx, *fasthttp.Request)
	// dropRequest is what ServeFast removes from requests: the hop-by-hop
	// headers, Expect, and Options.DropRequest.
	dropRequest []string
	// dropResponse is what ServeFast removes from responses: the
	// hop-by-hop headers and Options.StripResponse.
	dropResponse []string

	// Load shedding: sem holds max_in_flight tokens; waiting counts queued
	// requests, bounded by queue.
	sem          chan struct{}
	queue        int64
	waiting      atomic.Int64
	queueTimeout time.Duration

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New builds a pool; Start begins health checks.
func New(u config.Upstream, o Options) (*Pool, error) {
	tr, err := newTransport(u, o.Timeouts)
	if err != nil {
		return nil, err
	}
	p := &Pool{
		route: o.Route, leastConn: u.Balance == "least_conn", retries: u.Retries,
		passive: u.Passive, hc: u.HealthCheck, transport: tr, log: o.Log, m: o.Metrics,
		total: o.Timeouts.Total, timeouts: o.Timeouts, queue: int64(u.Queue), queueTimeout: u.QueueTimeout,
		stop:         make(chan struct{}),
		rewriteFast:  o.RewriteFast,
		dropRequest:  append(dropRequest[:len(dropRequest):len(dropRequest)], o.DropRequest...),
		dropResponse: append(hopHeaders[:len(hopHeaders):len(hopHeaders)], o.StripResponse...),
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.m == nil {
		p.m = metrics.New()
	}
	p.upDur = p.m.UpstreamDur.WithLabelValues(p.route)
	if u.MaxInFlight > 0 {
		p.sem = make(chan struct{}, u.MaxInFlight)
	}
	for _, s := range u.Targets {
		tu, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("upstream target %q: %w", s, err)
		}
		tu.Path, tu.RawPath = "", ""
		t := &Target{URL: tu, name: tu.Scheme + "://" + tu.Host, https: tu.Scheme == "https"}
		t.fast = newHostClient(t, o.Timeouts, tr.TLSClientConfig)
		t.addr = targetAddr(t)
		t.healthy.Store(true)
		p.targets = append(p.targets, t)
		p.m.UpstreamHealthy.WithLabelValues(p.route, t.name).Set(1)
	}
	p.evented = evented(p)
	rewrite := o.Rewrite
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The balancer picks the target per attempt; this one is replaced.
			pr.SetURL(p.targets[0].URL)
			pr.Out.Host = pr.In.Host
			if rewrite != nil {
				rewrite(pr)
			}
		},
		Transport:      &balancer{p: p},
		FlushInterval:  0, // text/event-stream and unknown lengths flush immediately anyway
		BufferPool:     bufferPool{},
		ModifyResponse: o.ModifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	return p, nil
}

func newTransport(u config.Upstream, to config.Timeouts) (*http.Transport, error) {
	idle := u.MaxIdleConns
	if idle == 0 {
		// Keep enough idle connections per target for a busy gateway; Go's
		// default of 2 per host forces a new connection for most requests.
		idle = 512
	}
	d := &net.Dialer{Timeout: to.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil, // never route upstream traffic through an environment proxy
		DialContext:           d.DialContext,
		MaxIdleConns:          idle * max(1, len(u.Targets)),
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   to.Connect,
		ResponseHeaderTimeout: to.ResponseHeader,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// The client's Accept-Encoding passes through; never add our own.
		DisableCompression: true,
	}
	tc, err := upstreamTLS(u.TLS)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tc
	return tr, nil
}

// upstreamTLS builds the client TLS config towards the targets, shared by
// the net/http transport and the fasthttp host clients; nil without tls.
func upstreamTLS(t *config.UpstreamTLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	tc := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // only when the user asks
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upstream ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream ca_file %s: no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("upstream client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

// ServeHTTP proxies r, shedding load beyond max_in_flight + queue.
func (p *Pool) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.sem != nil {
		if !p.acquire(r.Context()) {
			p.m.Shed.WithLabelValues(p.route).Inc()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
		defer func() { <-p.sem }()
	}
	if p.total > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), p.total)
		defer cancel()
		r = r.WithContext(ctx)
	}
	p.proxy.ServeHTTP(w, r)
}

func (p *Pool) acquire(ctx context.Context) bool {
	select {
	case p.sem <- struct{}{}:
		return true
	default:
	}
	if p.waiting.Add(1) > p.queue {
		p.waiting.Add(-1)
		return false
	}
	defer p.waiting.Add(-1)
	t := time.NewTimer(p.queueTimeout)
	defer t.Stop()
	select {
	case p.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (p *Pool) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	switch {
	case errors.Is(err, ErrNoTarget):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		status = http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this status (nginx logs 499).
		status = 499
	}
	p.log.LogAttrs(r.Context(), slog.LevelWarn, "upstream error",
		slog.String("route", p.route), slog.Int("status", status), slog.String("err", err.Error()))
	w.WriteHeader(status)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// pick chooses an available target other than skip.
func (p *Pool) pick(skip *Target) *Target {
	now := time.Now().UnixNano()
	n := len(p.targets)
	if n == 1 {
		if t := p.targets[0]; t != skip && t.available(now) {
			return t
		}
		return nil
	}
	start := int(p.rr.Add(1) % uint64(n))
	var best *Target
	for i := range n {
		t := p.targets[(start+i)%n]
		if t == skip || !t.available(now) {
			continue
		}
		if !p.leastConn {
			return t
		}
		if best == nil || t.inflight.Load() < best.inflight.Load() {
			best = t
		}
	}
	return best
}

// Targets lists the pool's targets (for tests and the admin API).
func (p *Pool) Targets() []*Target { return p.targets }

// Name is scheme://host:port.
func (t *Target) Name() string { return t.name }

// Available reports whether t takes traffic now.
func (t *Target) Available() bool { return t.available(time.Now().UnixNano()) }

// result records a passive outcome for t.
func (p *Pool) result(t *Target, failed bool) {
	if !failed {
		if t.fails.Load() != 0 {
			t.fails.Store(0)
		}
		return
	}
	if p.passive.MaxFailures <= 0 || int(t.fails.Add(1)) < p.passive.MaxFailures {
		return
	}
	t.fails.Store(0)
	t.ejectedUntil.Store(time.Now().Add(p.passive.CoolDown).UnixNano())
	p.m.Ejections.WithLabelValues(p.route, t.name).Inc()
	gauge := p.m.UpstreamHealthy.WithLabelValues(p.route, t.name)
	gauge.Set(0)
	time.AfterFunc(p.passive.CoolDown, func() {
		if t.Available() {
			gauge.Set(1)
		}
	})
	p.log.Warn("upstream target ejected", "route", p.route, "target", t.name, "cool_down", p.passive.CoolDown)
}

// Close stops health checks and closes idle connections.
func (p *Pool) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
	p.transport.CloseIdleConnections()
	for _, t := range p.targets {
		t.fast.CloseIdleConnections()
	}
}

// bufferPool reuses the 32 KiB copy buffers of ReverseProxy.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
