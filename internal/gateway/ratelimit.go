package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
	"github.com/rampart-sec/rampart/internal/gateway/ratelimit"
)

// newLimiter builds the rate-limit backend: in process, or Redis behind a
// circuit breaker that falls back by on_backend_error. It lives as long as
// the Server so counters survive reloads.
func newLimiter(cfg *config.Config, log *slog.Logger, m *metrics.Metrics) (ratelimit.Limiter, error) {
	rc := cfg.RateLimitBackend.Redis
	if rc == nil {
		l := ratelimit.NewLocal(ratelimit.LocalOptions{Logger: log})
		m.Registry.MustRegister(ratelimit.NewMetrics(l, nil))
		return l, nil
	}
	client, err := ratelimit.NewRedisClient(*rc, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("rate_limit_backend: %w", err)
	}
	onErr, err := ratelimit.ParseOnBackendError(cfg.OnBackendError)
	if err != nil {
		return nil, err
	}
	remote := ratelimit.NewRedis(client, ratelimit.RedisOptions{KeyPrefix: rc.KeyPrefix, Timeout: rc.Timeout, Logger: log})
	f := ratelimit.NewFallback(remote, ratelimit.FallbackOptions{OnError: onErr, Logger: log})
	m.Registry.MustRegister(ratelimit.NewMetrics(nil, f))
	return f, nil
}

// rateGuard applies a route's rate limits.
type rateGuard struct {
	rules                   []*ratelimit.Rule
	lim                     ratelimit.Limiter
	needsQuery, needsCookie bool
	// counters by rule name and action, resolved once.
	limited map[*ratelimit.Rule]prometheusCounter
}

type prometheusCounter interface{ Inc() }

var _ Guard = (*rateGuard)(nil)

func newRateGuard(route string, rcs []config.RateLimit, lim ratelimit.Limiter, m *metrics.Metrics) (*rateGuard, error) {
	g := &rateGuard{lim: lim, limited: map[*ratelimit.Rule]prometheusCounter{}}
	for i := range rcs {
		r, err := rcs[i].Rule()
		if err != nil {
			return nil, err
		}
		g.rules = append(g.rules, r)
		g.needsQuery = g.needsQuery || strings.Contains(r.Key.String(), "query:")
		g.needsCookie = g.needsCookie || strings.Contains(r.Key.String(), "cookie:")
		g.limited[r] = m.RateLimited.WithLabelValues(route, r.Name, r.Action.String())
	}
	return g, nil
}

func (g *rateGuard) Check(ctx context.Context, r *Request) (Verdict, error) {
	ri := ratelimit.RequestInfo{ClientIP: r.ClientIP, Header: headerValues{r}}
	// Cookies and the query are parsed only for rules that key on them.
	if g.needsCookie {
		ri.Cookies = r.cookie
	}
	if g.needsQuery {
		ri.Query = r.query()
	}
	if r.TLS != nil {
		ri.JA4, ri.JA3 = r.TLS.JA4, r.TLS.JA3
	}
	ds, err := ratelimit.Check(ctx, g.lim, g.rules, &ri, time.Now())
	if err != nil {
		return Verdict{}, fmt.Errorf("rate limit: %w", err)
	}
	var logged *ratelimit.Decision
	for i := range ds {
		if !ds[i].Allowed && ds[i].Rule != nil {
			g.limited[ds[i].Rule].Inc()
			if ds[i].Rule.Action == ratelimit.Log && logged == nil {
				logged = &ds[i]
			}
		}
	}
	if d, ok := ratelimit.Blocking(ds); ok {
		h := http.Header{}
		ratelimit.WriteHeaders(h, d)
		return Verdict{Action: Block, Status: http.StatusTooManyRequests, Reason: "rate_limit", RuleID: d.Rule.Name, Header: h}, nil
	}
	if logged != nil {
		return Verdict{Action: LogOnly, Reason: "rate_limit", RuleID: logged.Rule.Name}, nil
	}
	return Verdict{}, nil
}
