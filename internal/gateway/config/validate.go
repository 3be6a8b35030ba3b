package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/rampart-sec/rampart/internal/gateway/ratelimit"
	"github.com/rampart-sec/rampart/internal/gateway/waf"
)

func (v *validator) config(c *Config) {
	if len(c.Listen) == 0 {
		v.errorf("listen", "want at least one listener")
	}
	seen := map[string]bool{}
	for i := range c.Listen {
		l := &c.Listen[i]
		p := fmt.Sprintf("listen[%d]", i)
		v.address(p+".address", l.Address)
		if seen[l.Address] && !strings.HasSuffix(l.Address, ":0") {
			v.errorf(p+".address", "%q is listed twice", l.Address)
		}
		seen[l.Address] = true
		if l.TLS != nil {
			v.tls(p+".tls", l.TLS, c.Dir)
			if l.H2C {
				v.errorf(p+".h2c", "h2c is for listeners without tls (TLS listeners negotiate h2 with ALPN)")
			}
		}
	}
	if c.Admin.Address != "" {
		v.address("admin.address", c.Admin.Address)
		if seen[c.Admin.Address] {
			v.errorf("admin.address", "%q is also a proxy listener", c.Admin.Address)
		}
	}
	v.cidrs("trusted_proxies", c.TrustedProxies)
	v.cidrs("ip_allow", c.IPAllow)
	v.cidrs("ip_deny", c.IPDeny)
	v.headers("strip_response_headers", c.StripResponseHeaders)
	v.limits(&c.Limits)
	if c.FingerprintHeaders.JA4 != "" {
		v.headers("fingerprint_headers.ja4", []string{c.FingerprintHeaders.JA4})
	}
	if c.FingerprintHeaders.JA3 != "" {
		v.headers("fingerprint_headers.ja3", []string{c.FingerprintHeaders.JA3})
	}
	if c.RequestIDHeader != "" {
		v.headers("request_id_header", []string{c.RequestIDHeader})
	}
	if r := c.RateLimitBackend.Redis; r != nil {
		// Building the client checks the settings without connecting; the
		// password variable is only checked for being named here.
		if _, err := ratelimit.NewRedisClient(*r, func(string) string { return "set" }); err != nil {
			v.errorf("rate_limit_backend.redis", "%s", strings.TrimPrefix(err.Error(), ratelimit.ErrInvalidBackend.Error()+": "))
		}
	}
	v.oneOf("on_backend_error", c.OnBackendError, "local", "allow", "deny")
	v.oneOf("http1_engine", c.HTTP1Engine, EngineFastHTTP, EngineEvloop, EngineNetHTTP)
	if c.HTTP1Engine == EngineEvloop && runtime.GOOS != "linux" {
		v.errorf("http1_engine", "evloop needs Linux (epoll); use fasthttp")
	}
	if c.Events.Queue < 0 {
		v.errorf("events.queue", "must not be negative")
	}
	if c.Events.File != "" {
		c.Events.File = resolve(c.Dir, c.Events.File)
	}
	if c.MemoryLimit != "" {
		c.MemoryLimitBytes = v.memoryLimit("memory_limit", c.MemoryLimit)
	}
	if len(c.Routes) == 0 {
		v.errorf("routes", "want at least one route")
	}
	names := map[string]bool{}
	matches := map[Match]string{}
	for i := range c.Routes {
		r := &c.Routes[i]
		p := fmt.Sprintf("routes[%d]", i)
		v.route(p, r, c.Dir)
		if names[r.Name] {
			v.errorf(p+".name", "route name %q is used twice", r.Name)
		}
		names[r.Name] = true
		if other, ok := matches[r.Match]; ok {
			v.errorf(p+".match", "same host and path_prefix as route %q", other)
		}
		matches[r.Match] = r.Name
	}
}

func (v *validator) route(p string, r *Route, dir string) {
	if r.Name == "" {
		v.errorf(p+".name", "want a name")
	} else if strings.ContainsAny(r.Name, " \t\"'") {
		v.errorf(p+".name", "want a name without spaces or quotes, got %q", r.Name)
	}
	if r.Match.PathPrefix == "" {
		r.Match.PathPrefix = "/"
	} else if !strings.HasPrefix(r.Match.PathPrefix, "/") {
		v.errorf(p+".match.path_prefix", "want a path starting with /, got %q", r.Match.PathPrefix)
	}
	if h := r.Match.Host; h != "" {
		host := strings.TrimPrefix(h, "*.")
		if strings.Contains(host, "*") || strings.ContainsAny(host, "/: ") || host == "" {
			v.errorf(p+".match.host", "want a host name or *.domain, got %q", h)
		}
		r.Match.Host = strings.ToLower(h)
	}
	v.upstream(p+".upstream", &r.Upstream, dir)
	v.cidrs(p+".ip_allow", r.IPAllow)
	v.cidrs(p+".ip_deny", r.IPDeny)
	v.headers(p+".strip_response_headers", r.StripResponseHeaders)
	v.nonNegative(p+".timeouts.connect", r.Timeouts.Connect)
	v.nonNegative(p+".timeouts.response_header", r.Timeouts.ResponseHeader)
	v.nonNegative(p+".timeouts.total", r.Timeouts.Total)
	if r.WAF != nil {
		v.waf(p+".waf", r.WAF)
	}
	rlNames := map[string]bool{}
	for i := range r.RateLimits {
		v.rateLimit(fmt.Sprintf("%s.rate_limits[%d]", p, i), &r.RateLimits[i], rlNames)
	}
}

func (v *validator) upstream(p string, u *Upstream, dir string) {
	if len(u.Targets) == 0 {
		v.errorf(p+".targets", "want at least one target URL")
	}
	for i, t := range u.Targets {
		tu, err := url.Parse(t)
		if err != nil || (tu.Scheme != "http" && tu.Scheme != "https") || tu.Host == "" || (tu.Path != "" && tu.Path != "/") || tu.RawQuery != "" || tu.User != nil {
			v.errorf(fmt.Sprintf("%s.targets[%d]", p, i), "want http://host:port or https://host:port, got %q", redactURL(t))
		}
	}
	v.oneOf(p+".balance", u.Balance, "round_robin", "least_conn")
	if hc := u.HealthCheck; hc != nil {
		if hc.Path != "" && !strings.HasPrefix(hc.Path, "/") {
			v.errorf(p+".health_check.path", "want a path starting with /, got %q", hc.Path)
		}
		v.nonNegative(p+".health_check.interval", hc.Interval)
		v.nonNegative(p+".health_check.timeout", hc.Timeout)
		if hc.ExpectedStatus != 0 && (hc.ExpectedStatus < 100 || hc.ExpectedStatus > 599) {
			v.errorf(p+".health_check.expected_status", "want an HTTP status 100-599, got %d", hc.ExpectedStatus)
		}
		if hc.HealthyThreshold < 0 || hc.UnhealthyThreshold < 0 {
			v.errorf(p+".health_check", "thresholds must not be negative")
		}
	}
	if u.Passive.MaxFailures < 0 {
		v.errorf(p+".passive.max_failures", "must not be negative")
	}
	v.nonNegative(p+".passive.cool_down", u.Passive.CoolDown)
	if u.Retries < 0 || u.Retries > 10 {
		v.errorf(p+".retries", "want 0-10, got %d", u.Retries)
	}
	if u.MaxIdleConns < 0 || u.MaxInFlight < 0 || u.Queue < 0 {
		v.errorf(p, "max_idle_conns, max_in_flight and queue must not be negative")
	}
	if u.Queue > 0 && u.MaxInFlight == 0 {
		v.errorf(p+".queue", "queue needs max_in_flight")
	}
	v.nonNegative(p+".queue_timeout", u.QueueTimeout)
	if t := u.TLS; t != nil {
		if t.CAFile != "" {
			t.CAFile = v.file(p+".tls.ca_file", dir, t.CAFile)
		}
		if (t.CertFile == "") != (t.KeyFile == "") {
			v.errorf(p+".tls", "cert_file and key_file go together")
		}
		if t.CertFile != "" {
			t.CertFile = v.file(p+".tls.cert_file", dir, t.CertFile)
			t.KeyFile = v.file(p+".tls.key_file", dir, t.KeyFile)
		}
	}
}

func (v *validator) tls(p string, t *TLS, dir string) {
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.errorf(p, "cert_file and key_file go together")
	}
	if len(t.Certificates) == 0 && t.CertFile == "" {
		v.errorf(p, "want cert_file and key_file or certificates")
	}
	for i := range t.Certificates {
		c := &t.Certificates[i]
		cp := fmt.Sprintf("%s.certificates[%d]", p, i)
		if c.CertFile == "" || c.KeyFile == "" {
			v.errorf(cp, "want cert_file and key_file")
			continue
		}
		c.CertFile = v.file(cp+".cert_file", dir, c.CertFile)
		c.KeyFile = v.file(cp+".key_file", dir, c.KeyFile)
	}
	if t.CertFile != "" && t.KeyFile != "" {
		// cert_file/key_file is the first (default) certificate.
		pair := CertPair{CertFile: v.file(p+".cert_file", dir, t.CertFile), KeyFile: v.file(p+".key_file", dir, t.KeyFile)}
		t.Certificates = append([]CertPair{pair}, t.Certificates...)
		t.CertFile, t.KeyFile = "", ""
	}
	v.oneOf(p+".min_version", t.MinVersion, "1.2", "1.3")
	if ca := t.ClientAuth; ca != nil {
		if ca.CAFile == "" {
			v.errorf(p+".client_auth.ca_file", "want the CA that signs client certificates")
		} else {
			ca.CAFile = v.file(p+".client_auth.ca_file", dir, ca.CAFile)
		}
		v.oneOf(p+".client_auth.mode", ca.Mode, "require", "optional")
	}
}

func (v *validator) waf(p string, w *waf.Config) {
	if err := w.Validate(); err != nil {
		v.errorf(p, "%s", strings.TrimPrefix(err.Error(), waf.ErrInvalidConfig.Error()+": "))
	}
}

func (v *validator) rateLimit(p string, rl *RateLimit, names map[string]bool) {
	if names[rl.Name] {
		v.errorf(p+".name", "rate limit name %q is used twice in this route", rl.Name)
	}
	names[rl.Name] = true
	if rl.Key == "" {
		rl.Key = "ip"
	}
	if _, err := rl.Rule(); err != nil {
		v.errorf(p, "%s", strings.TrimPrefix(err.Error(), ratelimit.ErrInvalidRule.Error()+" "))
	}
}

// Rule converts the config to a ratelimit.Rule and validates it.
func (rl *RateLimit) Rule() (*ratelimit.Rule, error) {
	key, err := ratelimit.ParseKey(rl.Key)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	act, err := ratelimit.ParseAction(rl.Action)
	if err != nil {
		return nil, err
	}
	r := &ratelimit.Rule{Name: rl.Name, Key: key, Rate: rl.Rate, Period: rl.Period, Burst: rl.Burst,
		Action: act, MitigationTimeout: rl.MitigationTimeout}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

func (v *validator) limits(l *Limits) {
	if l.MaxConns < 0 || l.MaxConnsPerIP < 0 || l.ConnRatePerIP < 0 || l.ConnBurstPerIP < 0 || l.MaxHeaderBytes < 0 || l.MaxBodyBytes < 0 {
		v.errorf("limits", "limits must not be negative")
	}
	for k, d := range map[string]time.Duration{
		"read_header_timeout": l.ReadHeaderTimeout, "read_timeout": l.ReadTimeout,
		"write_timeout": l.WriteTimeout, "idle_timeout": l.IdleTimeout, "shutdown_timeout": l.ShutdownTimeout,
	} {
		v.nonNegative("limits."+k, d)
	}
}

// memoryLimit parses a Kubernetes quantity ("256Mi", "1G", "0"): the
// notation pod memory limits use, so the two can be copied across.
func (v *validator) memoryLimit(p, s string) int64 {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		v.errorf(p, "want a size such as 256Mi or 1Gi, got %q", s)
		return 0
	}
	n, ok := q.AsInt64()
	switch {
	case !ok || n < 0:
		v.errorf(p, "want a size between 0 and 8Ei, got %q", s)
		return 0
	case n > 0 && n < MinMemoryLimit:
		v.errorf(p, "want 0 (no limit) or at least 32Mi, got %q", s)
		return 0
	}
	return n
}

func (v *validator) address(p, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		v.errorf(p, "want host:port, got %q", addr)
		return
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && host != "localhost" {
			v.errorf(p, "want an IP address or localhost as host, got %q", host)
		}
	}
}

func (v *validator) cidrs(p string, list []string) {
	for i, s := range list {
		if _, err := ParsePrefix(s); err != nil {
			v.errorf(fmt.Sprintf("%s[%d]", p, i), "%v", err)
		}
	}
}

// ParsePrefix accepts a CIDR or a single address.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("want a CIDR such as 10.0.0.0/8 or an address, got %q", s)
		}
		return pr.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want a CIDR such as 10.0.0.0/8 or an address, got %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (v *validator) headers(p string, list []string) {
	for i, h := range list {
		if h == "" || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) }) {
			v.errorf(fmt.Sprintf("%s[%d]", p, i), "want an HTTP header name, got %q", h)
		}
	}
}

func (v *validator) oneOf(p, got string, want ...string) {
	if got != "" && !slices.Contains(want, got) {
		v.errorf(p, "want %s, got %q", strings.Join(want, ", "), got)
	}
}

func (v *validator) nonNegative(p string, d time.Duration) {
	if d < 0 {
		v.errorf(p, "must not be negative, got %s", d)
	}
}

// file resolves a path against the config dir and checks it is readable.
func (v *validator) file(p, dir, name string) string {
	full := resolve(dir, name)
	if st, err := os.Stat(full); err != nil {
		v.errorf(p, "cannot read %s: %v", name, unwrapPathError(err))
	} else if st.IsDir() {
		v.errorf(p, "%s is a directory, want a file", name)
	}
	return full
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func resolve(dir, name string) string {
	if filepath.IsAbs(name) || dir == "" {
		return name
	}
	return filepath.Join(dir, name)
}

// redactURL hides a password in a URL before it reaches a message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "[redacted]" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

// Defaults.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	// DefaultMaxHeaderBytes is nginx's default (a 1 KiB buffer and four
	// of 8 KiB) and Cloudflare's limit, about. The fasthttp engine holds a
	// read buffer this large per active connection: at 64 KiB, 64
	// connections with the CRS cost 4 MiB of the memory limit and 3-5%
	// more CPU in garbage collection.
	DefaultMaxHeaderBytes  = 32 << 10
	DefaultShutdownTimeout = 15 * time.Second
	DefaultH2MaxStreams    = 250
	DefaultEventsQueue     = 4096
	// DefaultMemoryLimit keeps a gateway with the CRS (a live heap of 15
	// MB at rest, 23-28 MB under load) well under 100 MB resident: the
	// runtime's memory, free pages not yet returned included, floats up to
	// the limit, and at 80 MiB that was 99 MB resident (docs/benchmarks.md).
	// It is soft: a larger live heap (several WAF routes) goes over it
	// rather than fail.
	DefaultMemoryLimit = 64 << 20
	// The HTTP/1.1 engines of http1_engine.
	EngineFastHTTP = "fasthttp"
	EngineEvloop   = "evloop"
	EngineNetHTTP  = "net/http"
	// MinMemoryLimit refuses limits the gateway cannot work under: the
	// runtime would collect continuously.
	MinMemoryLimit = 32 << 20
)

// DefaultHTTP1Engine is http1_engine when the file does not set it:
// evloop on Linux, fasthttp elsewhere (a variable so that the gateway's
// tests can run on each engine).
var DefaultHTTP1Engine = defaultEngine()

func defaultEngine() string {
	if runtime.GOOS == "linux" {
		return EngineEvloop
	}
	return EngineFastHTTP
}

func applyDefaults(c *Config) {
	l := &c.Limits
	if l.ReadHeaderTimeout == 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.MaxHeaderBytes == 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.ShutdownTimeout == 0 {
		l.ShutdownTimeout = DefaultShutdownTimeout
	}
	if l.H2MaxStreams == 0 {
		l.H2MaxStreams = DefaultH2MaxStreams
	}
	if c.StripResponseHeaders == nil {
		c.StripResponseHeaders = DefaultStripResponseHeaders
	}
	fh := &c.FingerprintHeaders
	if fh.Enabled == nil {
		on := true
		fh.Enabled = &on
	}
	if fh.JA4 == "" {
		fh.JA4 = "X-Rampart-JA4"
	}
	if fh.JA3 == "" {
		fh.JA3 = "X-Rampart-JA3"
	}
	if c.RequestIDHeader == "" {
		c.RequestIDHeader = "X-Request-Id"
	}
	if c.OnBackendError == "" {
		c.OnBackendError = "local"
	}
	if c.HTTP1Engine == "" {
		c.HTTP1Engine = DefaultHTTP1Engine
	}
	if c.Events.Queue == 0 {
		c.Events.Queue = DefaultEventsQueue
	}
	if c.MemoryLimit == "" {
		c.MemoryLimitBytes = DefaultMemoryLimit
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		u := &r.Upstream
		if u.Balance == "" {
			u.Balance = "round_robin"
		}
		if u.Passive.MaxFailures == 0 {
			u.Passive.MaxFailures = 5
		}
		if u.Passive.CoolDown == 0 {
			u.Passive.CoolDown = 30 * time.Second
		}
		if u.MaxInFlight > 0 && u.QueueTimeout == 0 {
			u.QueueTimeout = 100 * time.Millisecond
		}
		if hc := u.HealthCheck; hc != nil {
			if hc.Path == "" {
				hc.Path = "/"
			}
			if hc.Interval == 0 {
				hc.Interval = 10 * time.Second
			}
			if hc.Timeout == 0 {
				hc.Timeout = 2 * time.Second
			}
			if hc.ExpectedStatus == 0 {
				hc.ExpectedStatus = 200
			}
			if hc.HealthyThreshold == 0 {
				hc.HealthyThreshold = 2
			}
			if hc.UnhealthyThreshold == 0 {
				hc.UnhealthyThreshold = 3
			}
		}
		if r.Timeouts.Connect == 0 {
			r.Timeouts.Connect = 5 * time.Second
		}
		if r.Timeouts.ResponseHeader == 0 {
			r.Timeouts.ResponseHeader = 60 * time.Second
		}
		for j := range r.RateLimits {
			if r.RateLimits[j].Action == "" {
				r.RateLimits[j].Action = "block"
			}
		}
	}
}
