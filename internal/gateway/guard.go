// Package gateway is Rampart's edge gateway: listeners, TLS, the route
// table, the guard chain in front of each route's upstream, metrics,
// security events and hot reload.
package gateway

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// Guard is one request-side protection. Guards run in order; the first
// verdict that is not Allow ends the chain.
//
// Under the fasthttp engine, requests on routes without a WAF are served
// natively and Request.HTTP is nil: a guard reads the request through
// Request's methods (header, cookie, query, target), which serve both.
type Guard interface {
	Check(ctx context.Context, r *Request) (Verdict, error)
}

// Action is what a verdict asks the gateway to do.
type Action uint8

// Actions.
const (
	Allow Action = iota
	// Block answers Verdict.Status and records a security event.
	Block
	// LogOnly lets the request through and records a security event.
	LogOnly
)

// Verdict is a guard's decision.
type Verdict struct {
	Action Action
	Status int
	// Reason is a short stable word for metrics and events: ip_deny,
	// ip_allow, ja4_deny, rate_limit, waf.
	Reason string
	RuleID string
	// Header is added to a block response (Retry-After, RateLimit-*).
	Header http.Header
}

// TLSInfo is what the gateway learned about a TLS connection.
type TLSInfo struct {
	JA4, JA3 string
	// Identity is the verified client certificate's first SAN URI (a SPIFFE
	// id, say) or else its subject; empty without a verified certificate.
	Identity string
	URIs     []string
	Subject  string
}

// Request is the gateway's view of one request, built once and shared by
// the guards, the proxy's header rewrite and the access log.
type Request struct {
	// HTTP is the request on the net/http path; nil on the native one.
	HTTP     *http.Request
	ID       string
	ClientIP netip.Addr
	// PeerTrusted is true when the TCP peer is in trusted_proxies, so its
	// forwarding headers were believed.
	PeerTrusted bool
	TLS         *TLSInfo
	Route       *route
	Start       time.Time
	// Decisions are what guards decided short of blocking (log-only hits).
	Decisions []string
	// peer is the TCP peer and fast the request (native lane only).
	peer netip.Addr
	fast *fasthttp.RequestCtx
}

// header returns every value of a request header.
func (r *Request) header(name string) []string {
	if r.HTTP != nil {
		return r.HTTP.Header.Values(name)
	}
	return peekAll(&r.fast.Request.Header, name)
}

// cookie returns a cookie's value, "" when absent.
func (r *Request) cookie(name string) string {
	if r.HTTP != nil {
		c, err := r.HTTP.Cookie(name)
		if err != nil {
			return ""
		}
		return c.Value
	}
	return string(r.fast.Request.Header.Cookie(name))
}

// query parses the query string (as net/http's URL.Query does).
func (r *Request) query() url.Values {
	if r.HTTP != nil {
		return r.HTTP.URL.Query()
	}
	q, _ := url.ParseQuery(string(r.fast.URI().QueryString()))
	return q
}

// target returns the method, Host and path, for events.
func (r *Request) target() (method, host, path string) {
	if r.HTTP != nil {
		return r.HTTP.Method, r.HTTP.Host, r.HTTP.URL.Path
	}
	return string(r.fast.Method()), string(r.fast.Host()), string(r.fast.Path())
}

// headerValues is a Request's header as ratelimit.RequestInfo reads it.
type headerValues struct{ r *Request }

func (h headerValues) Values(name string) []string { return h.r.header(name) }

type requestKey struct{}

// RequestFrom returns the gateway's Request of a proxied request's context.
func RequestFrom(ctx context.Context) (*Request, bool) {
	r, ok := ctx.Value(requestKey{}).(*Request)
	return r, ok
}

// ipGuard applies allow and deny CIDR lists (global ones first, then the
// route's). With an allow list, addresses outside it are refused.
type ipGuard struct {
	allow, deny []netip.Prefix
}

var _ Guard = (*ipGuard)(nil)

func newIPGuard(allow, deny []string) (*ipGuard, error) {
	g := &ipGuard{}
	for _, s := range allow {
		p, err := config.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		g.allow = append(g.allow, p)
	}
	for _, s := range deny {
		p, err := config.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		g.deny = append(g.deny, p)
	}
	return g, nil
}

func (g *ipGuard) Check(_ context.Context, r *Request) (Verdict, error) {
	ip := r.ClientIP
	for _, p := range g.deny {
		if p.Contains(ip) {
			return Verdict{Action: Block, Status: http.StatusForbidden, Reason: "ip_deny", RuleID: p.String()}, nil
		}
	}
	if len(g.allow) > 0 && !slices.ContainsFunc(g.allow, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return Verdict{Action: Block, Status: http.StatusForbidden, Reason: "ip_allow", RuleID: "not-allowed"}, nil
	}
	return Verdict{}, nil
}

// ja4Guard refuses TLS clients whose JA4 is listed.
type ja4Guard struct{ deny map[string]bool }

var _ Guard = (*ja4Guard)(nil)

func (g *ja4Guard) Check(_ context.Context, r *Request) (Verdict, error) {
	if r.TLS != nil && g.deny[r.TLS.JA4] {
		return Verdict{Action: Block, Status: http.StatusForbidden, Reason: "ja4_deny", RuleID: r.TLS.JA4}, nil
	}
	return Verdict{}, nil
}

// routeName is the name of the request's route, "-" when none matched.
func (r *Request) routeName() string {
	if r.Route == nil {
		return "-"
	}
	return r.Route.name
}
