package gateway

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestSharedRedisLimit: two gateways with one Redis backend share a
// limit, so requests to either count against the same key.
func TestSharedRedisLimit(t *testing.T) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		t.Skipf("no Redis on 127.0.0.1:6379: %v", err)
	}
	c.Close()
	up := echoUpstream(t)
	prefix := "rampart-test:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	src := fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
rate_limit_backend: { redis: { url: "redis://127.0.0.1:6379/0", key_prefix: %q } }
on_backend_error: deny
routes:
  - name: app
    upstream: { targets: [%q] }
    rate_limits: [{ name: shared, key: ip, rate: 1, period: 1h, burst: 3 }]
`, prefix, up.URL)
	a := startGateway(t, src, nil)
	b := startGateway(t, src, nil)
	var got []int
	for _, g := range []*gw{a, b, a, b} {
		got = append(got, do(t, plainClient, http.MethodGet, g.url(0)+"/", nil))
	}
	want := []int{200, 200, 200, http.StatusTooManyRequests}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses across two gateways = %v, want %v", got, want)
		}
	}
}
