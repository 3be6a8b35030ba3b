package gateway

import (
	"crypto/rand"
	"encoding/hex"
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
// (anything left of it could have been written by the client). xff are the
// request's X-Forwarded-For header values.
func (t *trust) clientIP(peer netip.Addr, xff []string) (netip.Addr, bool) {
	if len(t.proxies) == 0 || !t.trusted(peer) {
		return peer, false
	}
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

// fwdIn is what the forwarding headers are computed from. The prior
// headers are only read from a trusted peer.
type fwdIn struct {
	trusted  bool
	peer     netip.Addr
	host     string
	tls      bool
	xff, fwd []string // prior X-Forwarded-For and Forwarded values
	xfp, xfh string   // prior X-Forwarded-Proto and X-Forwarded-Host
}

// fwdOut are the outbound X-Forwarded-For, -Proto, -Host and Forwarded.
type fwdOut struct{ xff, proto, host, forwarded string }

// forwardValues carries a trusted peer's forwarding headers over and
// extends them with this hop; from anyone else they are replaced. Both
// HTTP/1.1 engines and HTTP/2 use it.
func forwardValues(in fwdIn) fwdOut {
	peerStr := "unknown"
	if in.peer.IsValid() {
		peerStr = in.peer.String()
	}
	o := fwdOut{xff: peerStr, proto: "http", host: in.host}
	if in.tls {
		o.proto = "https"
	}
	if in.trusted {
		if len(in.xff) > 0 {
			o.xff = strings.Join(in.xff, ", ") + ", " + peerStr
		}
		if in.xfp == "http" || in.xfp == "https" {
			o.proto = in.xfp
		}
		if in.xfh != "" {
			o.host = in.xfh
		}
	}
	o.forwarded = forwarded(in.trusted, in.fwd, in.peer, in.host, o.proto)
	return o
}

// rewrite sets the outbound forwarding, request id and fingerprint headers.
// ReverseProxy has already removed Forwarded and X-Forwarded-* from the
// outbound request; from a trusted peer they are carried over and extended.
// It does what ProxyRequest.SetXForwarded does, with one allocation for all
// header value slices instead of one per header (this runs per request).
func (s *state) rewrite(pr *httputil.ProxyRequest) {
	req, _ := RequestFrom(pr.In.Context())
	in, out := pr.In.Header, pr.Out.Header
	fi := fwdIn{peer: peerAddr(pr.In.RemoteAddr), host: pr.In.Host, tls: pr.In.TLS != nil}
	if req != nil && req.PeerTrusted {
		fi.trusted, fi.xff, fi.fwd = true, in["X-Forwarded-For"], in.Values("Forwarded")
		fi.xfp, fi.xfh = in.Get("X-Forwarded-Proto"), in.Get("X-Forwarded-Host")
	}
	fo := forwardValues(fi)
	// Each header gets its own one-element window (cap 1) of one array, so
	// an append by anyone later copies instead of overwriting a neighbour.
	vals := make([]string, 7)
	set := func(i int, k, v string) {
		vals[i] = v
		out[k] = vals[i : i+1 : i+1]
	}
	set(0, "X-Forwarded-For", fo.xff)
	set(1, "X-Forwarded-Proto", fo.proto)
	if fo.host != "" {
		set(2, "X-Forwarded-Host", fo.host)
	}
	set(3, "Forwarded", fo.forwarded)

	delete(out, s.reqIDKey)
	if req != nil {
		set(4, s.reqIDKey, req.ID)
	}
	// Client-supplied copies are never passed on, whether or not the
	// gateway sends its own.
	delete(out, s.ja4Key)
	delete(out, s.ja3Key)
	if ja4, ja3 := s.fingerprints(req); ja4 != "" || ja3 != "" {
		if ja4 != "" {
			set(5, s.ja4Key, ja4)
		}
		if ja3 != "" {
			set(6, s.ja3Key, ja3)
		}
	}
}

// fingerprints are the JA4 and JA3 to send upstream, if any.
func (s *state) fingerprints(req *Request) (ja4, ja3 string) {
	if !*s.cfg.FingerprintHeaders.Enabled || req == nil || req.TLS == nil {
		return "", ""
	}
	return req.TLS.JA4, req.TLS.JA3
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
