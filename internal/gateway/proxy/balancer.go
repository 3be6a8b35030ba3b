package proxy

import (
	"io"
	"net/http"
	"time"
)

// balancer is the ReverseProxy's RoundTripper: it points each attempt at a
// target, counts in-flight requests for least_conn, records passive
// failures and retries idempotent requests on another target.
type balancer struct{ p *Pool }

func (b *balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	p := b.p
	attempts := 1
	if p.retries > 0 && replayable(req) {
		attempts += p.retries
	}
	var last *Target
	var err error
	for i := range attempts {
		t := p.pick(last)
		if t == nil {
			if err == nil {
				err = ErrNoTarget
			}
			return nil, err
		}
		if i > 0 {
			p.m.Retries.WithLabelValues(p.route).Inc()
			if req.GetBody != nil {
				body, gerr := req.GetBody()
				if gerr != nil {
					return nil, gerr
				}
				req.Body = body
			}
		}
		req.URL.Scheme, req.URL.Host = t.URL.Scheme, t.URL.Host
		// In-flight counts matter only to least_conn; round robin skips the
		// accounting and the body wrapper.
		track := p.leastConn
		if track {
			t.inflight.Add(1)
		}
		start := time.Now()
		var resp *http.Response
		resp, err = p.transport.RoundTrip(req)
		if err != nil {
			if track {
				t.inflight.Add(-1)
			}
			if req.Context().Err() != nil {
				// The client went away or the route timed out: not the
				// target's fault. Counting it would let clients eject
				// healthy targets by cancelling requests.
				return nil, err
			}
			p.result(t, true)
			last = t
			continue
		}
		p.upDur.Observe(time.Since(start).Seconds())
		p.result(t, resp.StatusCode >= 500)
		if !track {
			return resp, nil
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			// ReverseProxy needs the raw io.ReadWriteCloser body of an
			// upgraded connection; a tunnel is not a request in flight.
			t.inflight.Add(-1)
			return resp, nil
		}
		resp.Body = &countedBody{ReadCloser: resp.Body, t: t}
		return resp, nil
	}
	return nil, err
}

// replayable: only idempotent methods, and only when the body can be sent
// again.
func replayable(r *http.Request) bool {
	return idempotent(r.Method) && (r.Body == nil || r.Body == http.NoBody || r.GetBody != nil)
}

// idempotent: the methods a request may be sent again for (RFC 9110 9.2.2;
// TRACE is never forwarded by anyone sensible). POST and PATCH are not.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// countedBody ends the target's in-flight count when the response is done,
// so least_conn sees long streams.
type countedBody struct {
	io.ReadCloser
	t    *Target
	done bool
}

func (c *countedBody) Close() error {
	if !c.done {
		c.done = true
		c.t.inflight.Add(-1)
	}
	return c.ReadCloser.Close()
}
