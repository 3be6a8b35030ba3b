package proxy

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Start runs active health checks until ctx ends or Close is called.
func (p *Pool) Start(ctx context.Context) {
	if p.hc == nil || p.hc.Interval <= 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(p.hc.Interval)
		defer tick.Stop()
		for {
			p.checkAll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func (p *Pool) checkAll(ctx context.Context) {
	for _, t := range p.targets {
		ok := p.probe(ctx, t)
		if ok {
			t.failStreak = 0
			t.okStreak++
			if !t.healthy.Load() && t.okStreak >= p.hc.HealthyThreshold {
				t.healthy.Store(true)
				p.log.Info("upstream target healthy", "route", p.route, "target", t.name)
			}
		} else {
			t.okStreak = 0
			t.failStreak++
			if t.healthy.Load() && t.failStreak >= p.hc.UnhealthyThreshold {
				t.healthy.Store(false)
				p.log.Warn("upstream target unhealthy", "route", p.route, "target", t.name)
			}
		}
		up := 0.0
		if t.Available() {
			up = 1
		}
		p.m.UpstreamHealthy.WithLabelValues(p.route, t.name).Set(up)
	}
}

func (p *Pool) probe(ctx context.Context, t *Target) bool {
	ctx, cancel := context.WithTimeout(ctx, p.hc.Timeout)
	defer cancel()
	u := *t.URL
	u.Path = p.hc.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "rampart-gateway-health")
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode == p.hc.ExpectedStatus
}
