package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// TestReloadUnderLoad swaps between two upstream sets ten times while four
// clients loop for two seconds: no request may fail.
func TestReloadUnderLoad(t *testing.T) {
	ups, counts := countingUpstreams(t, 2, nil)
	cfgFor := func(i int) string {
		return fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, ups[i].URL)
	}
	g := startGateway(t, cfgFor(0), nil)
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(g.url(0) + "/")
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, resp.Status)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	for i := range 10 {
		time.Sleep(200 * time.Millisecond)
		path := filepath.Join(g.dir, "gateway.yaml")
		if err := os.WriteFile(path, []byte(cfgFor((i+1)%2)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := g.ReloadFile(path); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during reloads; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	if counts[0].Load() == 0 || counts[1].Load() == 0 {
		t.Errorf("both upstream sets should have served: %d, %d", counts[0].Load(), counts[1].Load())
	}
	t.Logf("%d requests during 10 reloads", ok.Load())
}

func TestBadReloadKeepsRunningConfig(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: [%q] }}]
`, up.URL), nil)
	path := filepath.Join(g.dir, "gateway.yaml")
	for name, src := range map[string]string{
		"syntax":          "listen: [",
		"unknown key":     fmt.Sprintf("listen: [{address: \"127.0.0.1:0\"}]\nroutes: [{name: app, upstream: { targets: [%q] }, bogus: 1}]\n", up.URL),
		"listener change": fmt.Sprintf("listen: [{address: \"127.0.0.1:0\"}, {address: \"127.0.0.1:0\"}]\nroutes: [{name: app, upstream: { targets: [%q] }}]\n", up.URL),
	} {
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := g.ReloadFile(path); err == nil {
			t.Errorf("%s: reload succeeded", name)
		}
		if st := do(t, plainClient, http.MethodGet, g.url(0)+"/", nil); st != 200 {
			t.Errorf("%s: after a failed reload status %d", name, st)
		}
	}
	if !strings.Contains(g.logs.String(), "keeping the running configuration") {
		t.Errorf("failed reload not logged")
	}
}

func TestWatchFileReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fired := make(chan struct{}, 10)
	if err := WatchFile(ctx, path, discardLogger(), func() { fired <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	// Unrelated files in the directory do not trigger.
	_ = os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600)
	// Replace by rename, as editors do.
	tmp := filepath.Join(dir, ".gw.yaml.swp")
	_ = os.WriteFile(tmp, []byte("b"), 0o600)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload after the file changed")
	}
}

func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{}, 1)
	ups, _ := countingUpstreams(t, 1, func(_ int, w http.ResponseWriter, _ *http.Request) {
		started <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	})
	g := startGateway(t, fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes: [{name: app, upstream: { targets: %s }}]
`, targetsYAML(ups)), nil)
	res := make(chan string, 1)
	go func() {
		resp, err := plainClient.Get(g.url(0) + "/")
		if err != nil {
			res <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- resp.Status + " " + string(b)
	}()
	<-started
	g.cancel()
	if got := <-res; got != "200 OK done" {
		t.Errorf("in-flight request during shutdown: %q", got)
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := plainClient.Get(g.url(0) + "/"); err == nil {
		t.Errorf("request after shutdown succeeded")
	}
}

func TestListenerChangeNeedsRestart(t *testing.T) {
	a := []config.Listener{{Address: "127.0.0.1:1"}}
	b := []config.Listener{{Address: "127.0.0.1:1", H2C: true}}
	if err := sameListeners(a, b); err == nil {
		t.Errorf("h2c change accepted on reload")
	}
	if err := sameListeners(a, a); err != nil {
		t.Errorf("same listeners: %v", err)
	}
}

// TestAdminPprof checks that the profiler is served only when asked for,
// and that a reload cannot switch it (admin changes need a restart).
func TestAdminPprof(t *testing.T) {
	up := echoUpstream(t)
	tests := []struct {
		name  string
		pprof bool
		want  int
	}{
		{"off by default", false, http.StatusNotFound},
		{"on", true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
admin: {address: "localhost:0", pprof: %t}
routes:
  - name: app
    upstream: {targets: [%q]}
`, tt.pprof, up.URL)
			g := startGateway(t, src, nil)
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
				resp, err := http.Get("http://" + g.AdminAddr() + path)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if got := resp.StatusCode; got != tt.want {
					t.Errorf("GET %s = %d, want %d", path, got, tt.want)
				}
			}
			flipped := strings.Replace(src, fmt.Sprintf("pprof: %t", tt.pprof), fmt.Sprintf("pprof: %t", !tt.pprof), 1)
			cfg, err := config.Parse("gateway.yaml", g.dir, []byte(flipped))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := g.Reload(cfg); err == nil || !strings.Contains(err.Error(), "admin") {
				t.Errorf("Reload with admin.pprof flipped: err = %v, want a restart-needed error about admin", err)
			}
		})
	}
}

func TestMemoryLimitChangeNeedsRestart(t *testing.T) {
	up := echoUpstream(t)
	src := fmt.Sprintf(`listen: [{address: "127.0.0.1:0"}]
routes:
  - name: app
    upstream: {targets: [%q]}
`, up.URL)
	g := startGateway(t, src, nil)
	cfg, err := config.Parse("gateway.yaml", g.dir, []byte(src+"memory_limit: 512Mi\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := g.Reload(cfg); err == nil || !strings.Contains(err.Error(), "memory_limit") {
		t.Errorf("Reload with memory_limit changed: err = %v, want a restart-needed error", err)
	}
}
