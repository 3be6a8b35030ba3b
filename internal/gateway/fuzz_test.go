package gateway

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzForwarding feeds client-controlled forwarding headers to the client
// IP resolution and the Forwarded builder: no panic, the client IP is the
// peer or an address from the header, and nothing can inject a header line.
func FuzzForwarding(f *testing.F) {
	f.Add("203.0.113.7", "for=203.0.113.7;proto=https", "app.test")
	f.Add("1.1.1.1, 10.0.0.2, 10.0.0.3", "", "")
	f.Add("::ffff:10.0.0.1, [2001:db8::1]", `for="[2001:db8::1]"`, "[::1]:8080")
	f.Add("garbage,,, ,", "for=unknown", "a\r\nb")
	tr := &trust{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	peer := netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, xff, fwd, host string) {
		h := http.Header{}
		h.Set("X-Forwarded-For", xff)
		ip, trusted := tr.clientIP(peer, h["X-Forwarded-For"])
		if !trusted {
			t.Fatalf("trusted peer reported untrusted")
		}
		if ip != peer && !inHeader(xff, ip) {
			t.Fatalf("client ip %s is neither the peer nor in %q", ip, xff)
		}
		elem := strings.TrimPrefix(forwarded(true, []string{fwd}, ip, host, "https"), strings.TrimSpace(fwd)+", ")
		if strings.ContainsAny(elem, "\r\n") {
			t.Fatalf("forwarded element has a line break: %q", elem)
		}
		if validRequestID(xff) && strings.ContainsAny(xff, "\r\n\" \\") {
			t.Fatalf("request id %q accepted", xff)
		}
	})
}

// inHeader reports whether ip is one of the comma-separated addresses.
func inHeader(xff string, ip netip.Addr) bool {
	for _, p := range strings.Split(xff, ",") {
		if a, err := netip.ParseAddr(strings.TrimSpace(p)); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
