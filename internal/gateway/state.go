package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
	"github.com/rampart-sec/rampart/internal/gateway/proxy"
	"github.com/rampart-sec/rampart/internal/gateway/ratelimit"
	"github.com/rampart-sec/rampart/internal/gateway/waf"
)

// state is everything a config produces that requests use. It is built
// whole and swapped in with one atomic store, so a request sees either the
// old or the new state, never a mix.
type state struct {
	cfg   *config.Config
	table *table
	trust trust
	// tlsConfigs by listener index (nil without TLS); looked up per
	// handshake so reloaded certificates apply to new connections.
	tlsConfigs []*tls.Config
	routes     []*route
	// Canonical header keys, computed once.
	reqIDKey, ja4Key, ja3Key string
	wafs                     []*waf.WAF
	cancel                   context.CancelFunc
}

type route struct {
	name    string
	host    string
	prefix  string
	guards  []Guard
	handler http.Handler
	pool    *proxy.Pool
	strip   []string
	// native routes (no WAF) are guarded and forwarded on fasthttp's
	// request under that engine.
	native bool
	// Pre-resolved collectors: no label hashing per request.
	reqs [6]prometheus.Counter
	dur  prometheus.Observer
}

type deps struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	limiter ratelimit.Limiter
	emit    func(ctx context.Context, req *Request, v Verdict, status int, ruleIDs []int)
}

func buildState(ctx context.Context, cfg *config.Config, d deps) (_ *state, err error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &state{cfg: cfg, tlsConfigs: make([]*tls.Config, len(cfg.Listen)), cancel: cancel}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.reqIDKey = http.CanonicalHeaderKey(cfg.RequestIDHeader)
	s.ja4Key = http.CanonicalHeaderKey(cfg.FingerprintHeaders.JA4)
	s.ja3Key = http.CanonicalHeaderKey(cfg.FingerprintHeaders.JA3)
	for _, c := range cfg.TrustedProxies {
		p, err := config.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %w", err)
		}
		s.trust.proxies = append(s.trust.proxies, p)
	}
	for i, l := range cfg.Listen {
		if l.TLS == nil {
			continue
		}
		tc, err := serverTLS(l.TLS)
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.Address, err)
		}
		s.tlsConfigs[i] = tc
	}
	for i := range cfg.Routes {
		rt, err := s.buildRoute(ctx, &cfg.Routes[i], d)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", cfg.Routes[i].Name, err)
		}
		s.routes = append(s.routes, rt)
	}
	s.table = newTable(s.routes)
	return s, nil
}

func (s *state) buildRoute(ctx context.Context, rc *config.Route, d deps) (*route, error) {
	rt := &route{name: rc.Name, host: rc.Match.Host, prefix: rc.Match.PathPrefix}
	rt.strip = append(append([]string{}, s.cfg.StripResponseHeaders...), rc.StripResponseHeaders...)
	for i, class := range []string{"1xx", "2xx", "3xx", "4xx", "5xx"} {
		rt.reqs[i+1] = d.metrics.Requests.WithLabelValues(rc.Name, class)
	}
	rt.dur = d.metrics.Duration.WithLabelValues(rc.Name)

	ipg, err := newIPGuard(append(append([]string{}, s.cfg.IPAllow...), rc.IPAllow...), append(append([]string{}, s.cfg.IPDeny...), rc.IPDeny...))
	if err != nil {
		return nil, err
	}
	if len(ipg.allow)+len(ipg.deny) > 0 {
		rt.guards = append(rt.guards, ipg)
	}
	if deny := append(append([]string{}, s.cfg.DenyJA4...), rc.DenyJA4...); len(deny) > 0 {
		g := &ja4Guard{deny: map[string]bool{}}
		for _, j := range deny {
			g.deny[j] = true
		}
		rt.guards = append(rt.guards, g)
	}

	if len(rc.RateLimits) > 0 {
		g, err := newRateGuard(rc.Name, rc.RateLimits, d.limiter, d.metrics)
		if err != nil {
			return nil, err
		}
		rt.guards = append(rt.guards, g)
	}

	// The gateway's request id wins over one the upstream sends back.
	strip := append(rt.strip, s.reqIDKey)
	pool, err := proxy.New(rc.Upstream, proxy.Options{
		Route:       rc.Name,
		Timeouts:    rc.Timeouts,
		Rewrite:     s.rewrite,
		RewriteFast: s.rewriteFast,
		DropRequest: []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded",
			s.reqIDKey, s.ja4Key, s.ja3Key},
		ModifyResponse: func(resp *http.Response) error {
			for _, h := range strip {
				resp.Header.Del(h)
			}
			return nil
		},
		StripResponse: strip,
		Log:           d.log,
		Metrics:       d.metrics,
	})
	if err != nil {
		return nil, err
	}
	rt.pool = pool
	pool.Start(ctx)
	rt.handler = pool
	if rc.WAF != nil {
		w, err := s.newWAF(ctx, rt, *rc.WAF, d)
		if err != nil {
			return nil, fmt.Errorf("waf: %w", err)
		}
		s.wafs = append(s.wafs, w)
		// The WAF wraps the proxy: it needs the body and the response.
		rt.handler = w.Wrap(pool)
	}
	// Every guard reads the request through Request's methods (see Guard);
	// the WAF needs net/http.
	rt.native = rc.WAF == nil
	return rt, nil
}

// close stops health checks and releases idle upstream connections. In
// flight requests of this state finish on their own connections.
func (s *state) close() {
	if s.cancel != nil {
		s.cancel()
	}
	for _, rt := range s.routes {
		if rt.pool != nil {
			rt.pool.Close()
		}
	}
	wafs := s.wafs
	// Requests of this state may still be inside a WAF; its shared rules are
	// released once they are surely done.
	time.AfterFunc(wafGrace, func() {
		for _, w := range wafs {
			_ = w.Close()
		}
	})
}

// wafGrace is how long an old state's WAFs stay usable after a reload.
const wafGrace = 2 * time.Minute
