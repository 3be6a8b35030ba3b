package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
)

// trust decides whose forwarding headers are believed.
type trust struct{ proxies []netip.Prefix }

func (t *trust) trusted(ip netip.Addr) bool {
	for _, p := range t.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// peerAddr parses the TCP peer of a request.
func peerAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// clientIP is the peer unless the peer is a trusted proxy; then it is the
// right-most X-Forwarded-For address that is not itself a trusted proxy
// (anything left of it could have been written by the client).
func (t *trust) clientIP(peer netip.Addr, h http.Header) (netip.Addr, bool) {
	if len(t.proxies) == 0 || !t.trusted(peer) {
		return peer, false
	}
	xff := h.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				// A malformed hop: stop believing anything further left.
				return peer, true
			}
			ip = ip.Unmap()
			if !t.trusted(ip) {
				return ip, true
			}
			peer = ip
		}
	}
	return peer, true
}

// requestIDs are a random per-process prefix and a counter: unique, cheap,
// and not guessable across restarts.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (g *requestIDs) next() string {
	var b strings.Builder
	b.Grow(len(g.prefix) + 13)
	b.WriteString(g.prefix)
	var num [13]byte
	b.Write(strconv.AppendUint(num[:0], g.n.Add(1), 36))
	return b.String()
}

// validRequestID accepts a trusted proxy's id only when it is short and
// printable, so it cannot inject into logs or headers.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// rewrite sets the outbound forwarding, request id and fingerprint headers.
// ReverseProxy has already removed Forwarded and X-Forwarded-* from the
// outbound request; from a trusted peer they are carried over and extended.
// It does what ProxyRequest.SetXForwarded does, with one allocation for all
// header value slices instead of one per header (this runs per request).
func (s *state) rewrite(pr *httputil.ProxyRequest) {
	req, _ := RequestFrom(pr.In.Context())
	in, out := pr.In.Header, pr.Out.Header
	trusted := req != nil && req.PeerTrusted
	peer := peerAddr(pr.In.RemoteAddr)
	peerStr := "unknown"
	if peer.IsValid() {
		peerStr = peer.String()
	}
	proto := "http"
	if pr.In.TLS != nil {
		proto = "https"
	}
	fwdHost := pr.In.Host
	xff := peerStr
	if trusted {
		if prior := in["X-Forwarded-For"]; len(prior) > 0 {
			xff = strings.Join(prior, ", ") + ", " + peerStr
		}
		if v := in.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			proto = v
		}
		if v := in.Get("X-Forwarded-Host"); v != "" {
			fwdHost = v
		}
	}
	// Each header gets its own one-element window (cap 1) of one array, so
	// an append by anyone later copies instead of overwriting a neighbour.
	vals := make([]string, 7)
	set := func(i int, k, v string) {
		vals[i] = v
		out[k] = vals[i : i+1 : i+1]
	}
	set(0, "X-Forwarded-For", xff)
	set(1, "X-Forwarded-Proto", proto)
	if fwdHost != "" {
		set(2, "X-Forwarded-Host", fwdHost)
	}
	set(3, "Forwarded", forwarded(trusted, in.Values("Forwarded"), peer, pr.In.Host, proto))

	delete(out, s.reqIDKey)
	if req != nil {
		set(4, s.reqIDKey, req.ID)
	}
	// Client-supplied copies are never passed on, whether or not the
	// gateway sends its own.
	delete(out, s.ja4Key)
	delete(out, s.ja3Key)
	if *s.cfg.FingerprintHeaders.Enabled {
		if req != nil && req.TLS != nil {
			if req.TLS.JA4 != "" {
				set(5, s.ja4Key, req.TLS.JA4)
			}
			if req.TLS.JA3 != "" {
				set(6, s.ja3Key, req.TLS.JA3)
			}
		}
	}
}

// forwarded builds the RFC 7239 header: the trusted chain so far plus one
// element for this hop.
func forwarded(trusted bool, prior []string, peer netip.Addr, host, proto string) string {
	var b strings.Builder
	b.Grow(64)
	if trusted {
		for _, p := range prior {
			if p = strings.TrimSpace(p); p != "" {
				b.WriteString(p)
				b.WriteString(", ")
			}
		}
	}
	b.WriteString("for=")
	switch {
	case !peer.IsValid():
		b.WriteString("unknown")
	case peer.Is6():
		// An IPv6 node is a quoted "[addr]" (RFC 7239 section 6).
		b.WriteString(`"[` + peer.String() + `]"`)
	default:
		b.WriteString(peer.String())
	}
	if host != "" {
		b.WriteString(";host=")
		b.WriteString(strconv.Quote(host))
	}
	b.WriteString(";proto=")
	b.WriteString(proto)
	return b.String()
}
