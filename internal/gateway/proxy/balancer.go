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
	tr := p.tries(replayable(req))
	var err error
	for {
		t, done := tr.next(err)
		if t == nil {
			return nil, done
		}
		if tr.retry() && req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				tr.failed(t, false)
				return nil, gerr
			}
			req.Body = body
		}
		req.URL.Scheme, req.URL.Host = t.URL.Scheme, t.URL.Host
		start := time.Now()
		var resp *http.Response
		resp, err = p.transport.RoundTrip(req)
		if err != nil {
			// A client that went away or the route's timeout is not the
			// target's fault. Counting it would let clients eject healthy
			// targets by cancelling requests.
			gone := req.Context().Err() != nil
			tr.failed(t, !gone)
			if gone {
				return nil, err
			}
			continue
		}
		tr.done(t, start, resp.StatusCode)
		// In-flight counts matter only to least_conn; round robin skips
		// the body wrapper.
		if !p.leastConn {
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
}

// tries hands out the targets of one request's attempts, for both
// forwarders (balancer.RoundTrip, Pool.roundTripFast): at most 1+retries
// for a replayable request, each skipping the target the previous one
// failed on, with least_conn's in-flight count, the retry metric and the
// passive health record kept on the way. A value on the caller's stack:
// nothing is allocated per request.
type tries struct {
	p    *Pool
	left int
	n    int
	last *Target
}

func (p *Pool) tries(replay bool) tries {
	n := 1
	if p.retries > 0 && replay {
		n += p.retries
	}
	return tries{p: p, left: n}
}

// next returns the target of the next attempt, counted in flight for
// least_conn; or nil and the error to give up with: err (the previous
// attempt's), or ErrNoTarget when no target was ever available.
func (tr *tries) next(err error) (*Target, error) {
	if tr.left == 0 {
		return nil, err
	}
	t := tr.p.pick(tr.last)
	if t == nil {
		if err == nil {
			err = ErrNoTarget
		}
		return nil, err
	}
	if tr.n > 0 {
		tr.p.m.Retries.WithLabelValues(tr.p.route).Inc()
	}
	tr.n++
	tr.left--
	if tr.p.leastConn {
		t.inflight.Add(1)
	}
	return t, nil
}

// retry reports whether the current attempt is a retry.
func (tr *tries) retry() bool { return tr.n > 1 }

// failed ends an attempt without a response; blame records it against the
// target and makes the next attempt skip it.
func (tr *tries) failed(t *Target, blame bool) {
	if tr.p.leastConn {
		t.inflight.Add(-1)
	}
	if blame {
		tr.p.result(t, true)
		tr.last = t
	}
}

// done records an attempt that got a response (a 5xx counts against the
// target). The in-flight count lasts until the response body ends.
func (tr *tries) done(t *Target, start time.Time, status int) {
	tr.p.upDur.Observe(time.Since(start).Seconds())
	tr.p.result(t, status >= 500)
}

// replayable: only idempotent methods, and only when the body can be sent
// again.
func replayable(r *http.Request) bool {
	return Idempotent(r.Method) && (r.Body == nil || r.Body == http.NoBody || r.GetBody != nil)
}

// Idempotent: the methods a request may be sent again for (RFC 9110 9.2.2;
// TRACE is never forwarded by anyone sensible). POST and PATCH are not.
// Every forwarder's retry decision uses it.
func Idempotent(method string) bool {
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
