package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-sec/rampart/internal/gateway"
	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// countingUpstream answers 200 and counts what it served.
func countingUpstream(t testing.TB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		_, _ = io.WriteString(w, "ok\n")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func parseConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("loadtest.yaml", t.TempDir(), []byte(src))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, src)
	}
	return cfg
}

// startGateway runs a gateway for src until the test ends and returns it
// with the address of its first listener.
func startGateway(t testing.TB, src string) (*gateway.Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := gateway.New(ctx, parseConfig(t, src), gateway.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatalf("gateway.New: %v", err)
	}
	if err := srv.Listen(); err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("gateway did not shut down")
		}
	})
	return srv, srv.Addrs()[0]
}

func routeConfig(upstream, extra string) string {
	return fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
limits: { shutdown_timeout: 5s }
routes:
  - name: app
    match: { path_prefix: "/" }
    upstream: { targets: [%q] }
%s`, upstream, extra)
}

// TestSlowHeadersDoNotStarveOthers holds 500 connections from 127.0.0.1
// that never finish their headers: the per-IP limit closes all but 100 at
// accept, read_header_timeout closes the rest, and a client from another
// address gets its 200s meanwhile.
func TestSlowHeadersDoNotStarveOthers(t *testing.T) {
	const (
		slowConns = 500
		perIP     = 100
	)
	up, _ := countingUpstream(t)
	_, addr := startGateway(t, fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
limits: { max_conns_per_ip: %d, read_header_timeout: 5s, shutdown_timeout: 1s }
routes:
  - name: app
    match: { path_prefix: "/" }
    upstream: { targets: [%q] }
`, perIP, up.URL))

	conns := make([]net.Conn, 0, slowConns)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for i := range slowConns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("slow conn %d: %v", i, err)
		}
		conns = append(conns, c)
		// Half a request line and header, never finished.
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: slow.example\r\nX-Slow: "); err != nil && i < perIP {
			t.Fatalf("slow conn %d write: %v", i, err)
		}
	}

	// Another client (127.0.0.2 is loopback too) on fresh connections.
	other := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: (&net.Dialer{
				LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)},
				Timeout:   5 * time.Second,
			}).DialContext,
		},
	}
	for i := range 20 {
		resp, err := other.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("other client request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("other client request %d: status %d, want 200", i, resp.StatusCode)
		}
	}

	// Connections still open a second later are the ones the gateway
	// admitted; read_header_timeout (5 s) has not fired yet.
	closed := readsEnd(conns, time.Now().Add(time.Second))
	if got, want := slowConns-closed, perIP; got != want {
		t.Errorf("slow connections held open = %d, want %d (max_conns_per_ip)", got, want)
	}
	// Then the header timeout ends every one of them.
	if got := readsEnd(conns, time.Now().Add(15*time.Second)); got != slowConns {
		t.Errorf("slow connections closed after read_header_timeout = %d, want %d", got, slowConns)
	}
}

// readsEnd reads every conn until deadline and counts those the server
// ended (EOF, reset, or a response followed by EOF) before it.
func readsEnd(conns []net.Conn, deadline time.Time) int {
	var ended atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(deadline)
			_, err := io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return
			}
			ended.Add(1)
		}()
	}
	wg.Wait()
	return int(ended.Load())
}

// TestSharedRedisLimit runs four gateways, each with its own Redis client,
// against the Redis at 127.0.0.1:6379 and sends 2,000 requests from one IP
// through them concurrently: together they admit the configured 1,000
// (burst 1000, one more per hour) within 1%.
func TestSharedRedisLimit(t *testing.T) {
	const (
		gateways = 4
		workers  = 4 // per gateway
		perWork  = 125
		limit    = 1000
	)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Skipf("no Redis at 127.0.0.1:6379 (CI has one): %v", err)
	}
	prefix := fmt.Sprintf("rampart-loadtest-%d:", time.Now().UnixNano())
	t.Cleanup(func() { deleteKeys(t, rdb, prefix) })

	up, served := countingUpstream(t)
	src := fmt.Sprintf(`listen:
  - address: "127.0.0.1:0"
limits: { shutdown_timeout: 5s }
rate_limit_backend:
  redis: { url: "redis://127.0.0.1:6379/0", key_prefix: %q, timeout: 2s }
routes:
  - name: app
    match: { path_prefix: "/" }
    upstream: { targets: [%q] }
    rate_limits:
      - { name: shared, key: ip, rate: 1, period: 1h, burst: %d }
`, prefix, up.URL, limit)
	addrs := make([]string, gateways)
	for i := range addrs {
		_, addrs[i] = startGateway(t, src)
	}

	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for _, addr := range addrs {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perWork {
					resp, err := client.Get("http://" + addr + "/")
					if err != nil {
						other.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					switch resp.StatusCode {
					case http.StatusOK:
						ok.Add(1)
					case http.StatusTooManyRequests:
						limited.Add(1)
					default:
						other.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()

	t.Logf("admitted %d, limited %d, other %d of %d", ok.Load(), limited.Load(), other.Load(), gateways*workers*perWork)
	if got := other.Load(); got != 0 {
		t.Errorf("requests that failed or got neither 200 nor 429 = %d, want 0", got)
	}
	if got, tolerance := ok.Load(), int64(limit/100); got < limit-tolerance || got > limit+tolerance {
		t.Errorf("admitted = %d, want %d ± %d", got, limit, tolerance)
	}
	if got, want := served.Load(), ok.Load(); got != want {
		t.Errorf("upstream served %d, want the %d admitted", got, want)
	}
}

// deleteKeys removes what the limiters stored: every key starts with key_prefix.
func deleteKeys(t *testing.T, rdb *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("scan %s*: %v", prefix, err)
	}
	if len(keys) > 0 {
		if err := rdb.Del(ctx, keys...).Err(); err != nil {
			t.Logf("delete test keys: %v", err)
		}
	}
}

// TestReloadUnderLoad swaps the route between two upstreams ten times
// while four clients send requests: none fails, and both upstreams serve.
func TestReloadUnderLoad(t *testing.T) {
	const (
		reloads = 10
		clients = 4
	)
	upA, servedA := countingUpstream(t)
	upB, servedB := countingUpstream(t)
	srv, addr := startGateway(t, routeConfig(upA.URL, ""))
	cfgs := []*config.Config{parseConfig(t, routeConfig(upB.URL, "")), parseConfig(t, routeConfig(upA.URL, ""))}

	var sent, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var resp *http.Response
				var err error
				if i%2 == 0 {
					resp, err = client.Get("http://" + addr + "/items?id=7")
				} else {
					resp, err = client.Post("http://"+addr+"/items", "application/x-www-form-urlencoded", strings.NewReader("name=widget&qty=3"))
				}
				sent.Add(1)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error()) // one concrete type: strings
				}
			}
		}()
	}
	for i := range reloads {
		time.Sleep(100 * time.Millisecond)
		if err := srv.Reload(cfgs[i%2]); err != nil {
			t.Errorf("reload %d: %v", i, err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()

	t.Logf("%d requests, %d reloads; upstream A %d, B %d", sent.Load(), reloads, servedA.Load(), servedB.Load())
	if got := failed.Load(); got != 0 {
		t.Errorf("failed requests = %d, want 0 (first: %v)", got, firstErr.Load())
	}
	if servedA.Load() == 0 || servedB.Load() == 0 {
		t.Errorf("upstream A served %d, B %d: want both > 0 (the reloads took effect)", servedA.Load(), servedB.Load())
	}
}
