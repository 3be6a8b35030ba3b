package waf

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	txhttp "github.com/corazawaf/coraza/v3/http"
)

// benchUpstream drains the body and answers like a small JSON API.
var benchUpstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
})

// formBody1K is a 1 KB urlencoded contact form, the POST the nginx +
// ModSecurity figures were taken with.
func formBody1K() string {
	v := url.Values{}
	v.Set("name", "Jane Doe")
	v.Set("email", "jane.doe@example.com")
	v.Set("subject", "Question about my order")
	v.Set("order", "A-10293")
	msg := "Hello, I ordered two chairs last week and would like to know when they ship. Thanks for the quick help, and have a nice day. "
	v.Set("message", strings.Repeat(msg, 8))
	s := v.Encode()
	for len(s) < 1024 {
		s += "&x=1"
	}
	return s[:1024]
}

func benchRequest(b *testing.B, h http.Handler, method, target, ctype, body string) {
	b.Helper()
	b.ReportAllocs()
	// The machine is shared, so wall time per op mostly measures waiting;
	// process CPU time (user+system, GC included) per request is reported
	// as cpu-ms/op and is the figure compared with nginx + ModSecurity.
	cpu0 := cpuTime()
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n++
		var rd io.Reader = http.NoBody
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, target, rd)
		req.Host = "shop.example.com"
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		req.Header.Set("Accept-Language", "en-US,en;q=0.5")
		req.Header.Set("Cookie", "session=8f14e45fceea167a5a36dedd4bea2543")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rr.Code, rr.Body.String())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n)/1e6, "cpu-ms/op")
	reportRSS(b)
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportRSS adds the process's resident set (current and peak) in MB.
func reportRSS(b *testing.B) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		for _, key := range []string{"VmRSS:", "VmHWM:"} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				b.ReportMetric(float64(kb)/1024, strings.TrimSuffix(key, ":")+"-MB")
			}
		}
	}
}

func rampartHandler(b *testing.B) http.Handler {
	b.Helper()
	w, err := New(context.Background(), Config{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = w.Close() })
	return w.Wrap(benchUpstream)
}

// stockHandler is Coraza's own middleware with the recommended config, the
// CRS setup and rules, blocking on: the "stock Coraza" baseline.
func stockHandler(b *testing.B) http.Handler {
	b.Helper()
	if operatorsRegistered.Load() {
		// The operator registry is process wide: once a Rampart WAF exists,
		// Coraza would run Rampart's operators too. The Stock benchmarks come first
		// in this file so that one -bench run measures both.
		b.Skip("stock Coraza needs a process without Rampart's operators: run -bench StockCoraza on its own")
	}
	w, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives("Include @coraza.conf-recommended").
		WithDirectives("SecRuleEngine On").
		WithDirectives("Include @crs-setup.conf.example").
		WithDirectives("Include @owasp_crs/*.conf"))
	if err != nil {
		b.Fatal(err)
	}
	return txhttp.WrapHandler(w, benchUpstream)
}

const benchGetTarget = "/products/shoes/running?color=blue&size=10&sort=price&page=2"

func BenchmarkStockCorazaGet(b *testing.B) {
	benchRequest(b, stockHandler(b), "GET", benchGetTarget, "", "")
}

func BenchmarkStockCorazaFormPost(b *testing.B) {
	benchRequest(b, stockHandler(b), "POST", "/contact", "application/x-www-form-urlencoded", formBody1K())
}

func BenchmarkWAFGet(b *testing.B) {
	benchRequest(b, rampartHandler(b), "GET", benchGetTarget, "", "")
}

func BenchmarkWAFFormPost(b *testing.B) {
	benchRequest(b, rampartHandler(b), "POST", "/contact", "application/x-www-form-urlencoded", formBody1K())
}
