// Package config is the gateway's YAML configuration: the schema, strict
// decoding (unknown keys are errors) and validation with file:line messages.
package config

import (
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/ratelimit"
	"github.com/rampart-sec/rampart/internal/gateway/waf"
)

// Config is one gateway configuration file. Every key is documented in
// docs/gateway.md.
type Config struct {
	Listen []Listener `yaml:"listen"`
	Admin  Admin      `yaml:"admin"`
	// TrustedProxies are CIDRs whose X-Forwarded-For, Forwarded and
	// X-Request-Id headers are believed; from anyone else they are replaced.
	TrustedProxies []string `yaml:"trusted_proxies"`
	IPAllow        []string `yaml:"ip_allow"`
	IPDeny         []string `yaml:"ip_deny"`
	DenyJA4        []string `yaml:"deny_ja4"`
	// StripResponseHeaders are removed from every upstream response (origin
	// hiding); routes add their own. Nil means the default list.
	StripResponseHeaders []string          `yaml:"strip_response_headers"`
	FingerprintHeaders   FingerprintHeader `yaml:"fingerprint_headers"`
	RequestIDHeader      string            `yaml:"request_id_header"`
	Limits               Limits            `yaml:"limits"`
	RateLimitBackend     RateLimitBackend  `yaml:"rate_limit_backend"`
	// OnBackendError is what rate limiting does when its backend fails:
	// local (fall back to in-process counters), allow or deny.
	OnBackendError string  `yaml:"on_backend_error"`
	Events         Events  `yaml:"events"`
	Routes         []Route `yaml:"routes"`
	// MemoryLimit is the Go runtime's soft memory limit for the gateway
	// process, a Kubernetes quantity such as "256Mi"; "0" turns it off.
	// GOMEMLIMIT in the environment overrides it.
	MemoryLimit string `yaml:"memory_limit"`
	// HTTP1Engine serves HTTP/1.1: "evloop" (the default on Linux:
	// cleartext listeners on epoll event loops, handing what they do not
	// serve themselves to fasthttp, which serves TLS listeners), "fasthttp"
	// (the default elsewhere: its own parser and upstream client on the
	// unguarded path) or "net/http" (Go's, as HTTP/2 always is). Fixed at
	// start.
	HTTP1Engine string `yaml:"http1_engine"`
	// MemoryLimitBytes is MemoryLimit parsed by validation (0: no limit).
	MemoryLimitBytes int64 `yaml:"-"`

	// Dir is the directory of the config file; relative paths resolve
	// against it. Set by Load.
	Dir string `yaml:"-"`
}

// Listener is one address the gateway accepts connections on.
type Listener struct {
	Address string `yaml:"address"`
	TLS     *TLS   `yaml:"tls"`
	// H2C enables cleartext HTTP/2 (prior knowledge and Upgrade) on a
	// listener without TLS.
	H2C bool `yaml:"h2c"`
}

// TLS is a listener's server side TLS.
type TLS struct {
	CertFile     string      `yaml:"cert_file"`
	KeyFile      string      `yaml:"key_file"`
	Certificates []CertPair  `yaml:"certificates"`
	MinVersion   string      `yaml:"min_version"`
	ClientAuth   *ClientAuth `yaml:"client_auth"`
	// Fingerprint turns JA3/JA4 capture on this listener on or off.
	Fingerprint *bool `yaml:"fingerprint"`
}

// CertPair is a certificate chain and its key, PEM files.
type CertPair struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// ClientAuth asks clients for a certificate signed by CAFile (mTLS).
type ClientAuth struct {
	CAFile string `yaml:"ca_file"`
	Mode   string `yaml:"mode"` // require or optional
}

// Admin is the listener for /metrics, /healthz and /readyz.
type Admin struct {
	Address string `yaml:"address"`
	// Pprof serves net/http/pprof under /debug/pprof/ on the admin listener
	// (profiles expose internals and cost CPU: off unless asked for).
	Pprof bool `yaml:"pprof"`
}

// FingerprintHeader names the headers the TLS fingerprints are sent upstream in.
type FingerprintHeader struct {
	Enabled *bool  `yaml:"enabled"`
	JA4     string `yaml:"ja4"`
	JA3     string `yaml:"ja3"`
}

// Limits are connection-level protections shared by every listener.
type Limits struct {
	MaxConns          int           `yaml:"max_conns"`
	MaxConnsPerIP     int           `yaml:"max_conns_per_ip"`
	ConnRatePerIP     float64       `yaml:"conn_rate_per_ip"`
	ConnBurstPerIP    int           `yaml:"conn_burst_per_ip"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	H2MaxStreams      uint32        `yaml:"h2_max_concurrent_streams"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
}

// RateLimitBackend is where rate-limit counters live; empty means in process.
type RateLimitBackend struct {
	Redis *ratelimit.RedisConfig `yaml:"redis"`
}

// Events writes security events (blocks, rate limits) as JSON lines.
type Events struct {
	File  string `yaml:"file"`
	Queue int    `yaml:"queue"`
}

// Route sends matching requests through its guards to its upstream.
type Route struct {
	Name                 string      `yaml:"name"`
	Match                Match       `yaml:"match"`
	Upstream             Upstream    `yaml:"upstream"`
	WAF                  *waf.Config `yaml:"waf"`
	RateLimits           []RateLimit `yaml:"rate_limits"`
	IPAllow              []string    `yaml:"ip_allow"`
	IPDeny               []string    `yaml:"ip_deny"`
	DenyJA4              []string    `yaml:"deny_ja4"`
	StripResponseHeaders []string    `yaml:"strip_response_headers"`
	Timeouts             Timeouts    `yaml:"timeouts"`
}

// Match selects requests by host and path prefix; the longest prefix wins.
type Match struct {
	// Host is exact ("api.example.com") or one wildcard label ("*.example.com");
	// empty matches any host.
	Host       string `yaml:"host"`
	PathPrefix string `yaml:"path_prefix"`
}

// Timeouts bound one proxied request.
type Timeouts struct {
	Connect        time.Duration `yaml:"connect"`
	ResponseHeader time.Duration `yaml:"response_header"`
	Total          time.Duration `yaml:"total"`
}

// Upstream is a pool of targets.
type Upstream struct {
	Targets []string `yaml:"targets"`
	// Balance is round_robin (default) or least_conn.
	Balance     string       `yaml:"balance"`
	HealthCheck *HealthCheck `yaml:"health_check"`
	Passive     Passive      `yaml:"passive"`
	// Retries is how many other targets an idempotent request is retried on.
	Retries      int           `yaml:"retries"`
	TLS          *UpstreamTLS  `yaml:"tls"`
	MaxIdleConns int           `yaml:"max_idle_conns"`
	MaxInFlight  int           `yaml:"max_in_flight"`
	Queue        int           `yaml:"queue"`
	QueueTimeout time.Duration `yaml:"queue_timeout"`
}

// HealthCheck probes every target with GET Path.
type HealthCheck struct {
	Path               string        `yaml:"path"`
	Interval           time.Duration `yaml:"interval"`
	Timeout            time.Duration `yaml:"timeout"`
	ExpectedStatus     int           `yaml:"expected_status"`
	HealthyThreshold   int           `yaml:"healthy_threshold"`
	UnhealthyThreshold int           `yaml:"unhealthy_threshold"`
}

// Passive ejects a target after MaxFailures consecutive 5xx or connect
// errors, for CoolDown.
type Passive struct {
	MaxFailures int           `yaml:"max_failures"`
	CoolDown    time.Duration `yaml:"cool_down"`
}

// UpstreamTLS is the client side TLS towards the targets.
type UpstreamTLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// RateLimit is one limit of a route.
type RateLimit struct {
	Name string `yaml:"name"`
	// Key is what requests are counted by: ip, ja4, ja3, header:NAME, ... .
	Key    string        `yaml:"key"`
	Rate   int           `yaml:"rate"`
	Period time.Duration `yaml:"period"`
	Burst  int           `yaml:"burst"`
	// Action is block (429) or log.
	Action            string        `yaml:"action"`
	MitigationTimeout time.Duration `yaml:"mitigation_timeout"`
}

// DefaultStripResponseHeaders hide what the origin runs.
var DefaultStripResponseHeaders = []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime"}
