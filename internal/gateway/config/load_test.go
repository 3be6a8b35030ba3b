package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadExample(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "..", "examples", "gateway", "minimal.yaml"))
	if err != nil {
		t.Fatalf("Load(minimal.yaml): %v", err)
	}
	if got, want := len(cfg.Listen), 2; got != want {
		t.Fatalf("listeners = %d, want %d", got, want)
	}
	tl := cfg.Listen[1].TLS
	if tl == nil || len(tl.Certificates) != 1 || !filepath.IsAbs(tl.Certificates[0].CertFile) {
		t.Fatalf("tls certificates not resolved to absolute paths: %+v", tl)
	}
	rl := cfg.Routes[0].RateLimits[0]
	if diff := cmp.Diff(rl, RateLimit{Name: "per-ip", Key: "ip", Rate: 100, Period: time.Minute, Burst: 20, Action: "block"}); diff != "" {
		t.Errorf("rate limit (-got +want):\n%s", diff)
	}
	if got := cfg.Routes[0].Upstream.Balance; got != "round_robin" {
		t.Errorf("default balance = %q, want round_robin", got)
	}
}

func TestMemoryLimit(t *testing.T) {
	base := `listen:
  - address: "127.0.0.1:8080"
routes:
  - name: app
    upstream: { targets: ["http://127.0.0.1:9000"] }
`
	tests := []struct {
		name, line string
		want       int64
	}{
		{"default", "", DefaultMemoryLimit},
		{"binary suffix", "memory_limit: 256Mi\n", 256 << 20},
		{"decimal suffix", "memory_limit: 1G\n", 1e9},
		{"plain bytes", "memory_limit: 104857600\n", 100 << 20},
		{"off", "memory_limit: \"0\"\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("gw.yaml", t.TempDir(), []byte(base+tt.line))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := cfg.MemoryLimitBytes; got != tt.want {
				t.Errorf("MemoryLimitBytes = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestErrors checks the messages users see for bad configs against
// testdata/errors.golden: every case must fail with file:line messages.
func TestErrors(t *testing.T) {
	base := `listen:
  - address: "127.0.0.1:8080"
routes:
  - name: app
    upstream: { targets: ["http://127.0.0.1:9000"] }
`
	tests := []struct {
		name, src string
	}{
		{"unknown top-level key", base + "listne: []\n"},
		{"unknown nested key", strings.Replace(base, "upstream:", "upstream: { target: x }\n    x:", 1)},
		{"wrong type", base + "limits: { max_conns: lots }\n"},
		{"bad duration", base + "limits: { idle_timeout: soon }\n"},
		{"no listeners", "routes:\n  - name: a\n    upstream: { targets: [\"http://127.0.0.1:1\"] }\n"},
		{"bad address", strings.Replace(base, "127.0.0.1:8080", "localhost", 1)},
		{"bad target", strings.Replace(base, "http://127.0.0.1:9000", "ftp://x/y", 1)},
		{"bad balance", strings.Replace(base, "upstream: {", "upstream: { balance: random,", 1)},
		{"waf mode", base + "    waf: { mode: blok }\n"},
		{"rate limit key", base + "    rate_limits:\n      - { name: a, key: ipp, rate: 1, period: 1s }\n"},
		{"rate limit rate", base + "    rate_limits:\n      - { name: a, key: ip, rate: 0, period: 1s }\n"},
		{"bad cidr", base + "trusted_proxies: [10.0.0.0/33]\n"},
		{"missing cert", strings.Replace(base, `"127.0.0.1:8080"`, `"127.0.0.1:8443"`+"\n    tls: { cert_file: nope.crt, key_file: nope.key }", 1)},
		{"duplicate route", base + "  - name: app\n    upstream: { targets: [\"http://127.0.0.1:9001\"] }\n"},
		{"bad host", strings.Replace(base, "    upstream:", "    match: { host: \"a.*.com\" }\n    upstream:", 1)},
		{"client auth mode", strings.Replace(base, `"127.0.0.1:8080"`, `"127.0.0.1:8443"`+"\n    tls: { cert_file: ok.crt, key_file: ok.key, client_auth: { ca_file: ok.crt, mode: sometimes } }", 1)},
		{"redis url", base + "rate_limit_backend: { redis: { url: \"http://u:secret@h:1\" } }\n"},
		{"memory limit unit", base + "memory_limit: 96MB\n"},
		{"memory limit too small", base + "memory_limit: 1Mi\n"},
		{"memory limit negative", base + "memory_limit: -1Gi\n"},
		{"not a mapping", "- a\n- b\n"},
		{"syntax", "listen: [\n"},
	}
	dir := t.TempDir()
	for _, f := range []string{"ok.crt", "ok.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gw.yaml", dir, []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a password: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "gw.yaml:") {
				t.Errorf("error %q does not start with file:line", err)
			}
			got.WriteString("== " + tt.name + "\n" + err.Error() + "\n")
		})
	}
	golden := filepath.Join("testdata", "errors.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if diff := cmp.Diff(got.String(), string(want)); diff != "" {
		t.Errorf("errors differ from %s (-got +want):\n%s", golden, diff)
	}
}

func TestLineOf(t *testing.T) {
	src := "a:\n  b:\n    - x: 1\n    - x: 2\n"
	_, err := Parse("f", "", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `f:1: unknown key "a"`) {
		t.Fatalf("got %v", err)
	}
}
