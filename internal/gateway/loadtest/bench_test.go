package loadtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkProxy sends requests through an in-process gateway with no
// guards to an upstream on 127.0.0.1: client, gateway and upstream share
// the process, so ns/op is an upper bound on the gateway's own cost and
// -cpuprofile shows where its share goes (scripts/bench-gateway.sh
// measures the gateway alone, as a process).
func BenchmarkProxy(b *testing.B) {
	form := "name=Jane+Doe&message=" + strings.Repeat("hello+world+", 84)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		b.Run(method, func(b *testing.B) {
			up, _ := countingUpstream(b)
			_, addr := startGateway(b, routeConfig(up.URL, ""))
			url := fmt.Sprintf("http://%s/api/items?category=books&page=2", addr)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.Cleanup(client.CloseIdleConnections) // before the gateway shuts down
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var resp *http.Response
					var err error
					if method == http.MethodGet {
						resp, err = client.Get(url)
					} else {
						resp, err = client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(form))
					}
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
