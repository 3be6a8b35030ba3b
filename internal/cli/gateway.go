package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/internal/gateway"
	"github.com/rampart-sec/rampart/internal/gateway/config"
	"github.com/rampart-sec/rampart/internal/gateway/echo"
	"github.com/rampart-sec/rampart/internal/gateway/events"
	"github.com/rampart-sec/rampart/internal/gateway/logbuf"
	"github.com/rampart-sec/rampart/internal/gateway/metrics"
)

const gatewayHelp = `Run the edge gateway: TLS termination with JA3/JA4 fingerprints, IP and
fingerprint deny lists, rate limits, the OWASP CRS web application firewall
and load-balanced proxying to upstreams, with Prometheus metrics on the
admin listener. The configuration is documented in docs/gateway.md.

SIGHUP (or a change of the file with --watch) reloads routes, guards,
upstreams and certificates without dropping requests; a bad configuration
is logged and the running one kept. Listener changes need a restart.
SIGINT/SIGTERM drain in-flight requests and exit.

Logs are JSON lines on stderr (one per request at --log-level info),
written in batches: every second, per 64 KiB and on exit.
Exit codes: 0 stopped cleanly, 2 configuration error, 3 the gateway failed.`

func newGatewayCmd(e *env) *cobra.Command {
	var cfgPath string
	var watch bool
	var logLevel slog.Level
	cmd := &cobra.Command{
		Use:   "gateway -c FILE",
		Short: "Run the edge gateway (reverse proxy with WAF, rate limits and TLS fingerprints)",
		Long:  gatewayHelp,
		Args:  cobra.NoArgs,
		// The gateway's -c is its own config file, not the flag-values file
		// of the other commands, and it logs JSON: its own pre-run.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return usageError(err)
			}
			level := slog.LevelInfo
			if q, _ := cmd.Flags().GetBool("quiet"); q {
				level = slog.LevelError
			}
			if s, _ := cmd.Flags().GetString("log-level"); s != "" {
				if err := level.UnmarshalText([]byte(s)); err != nil {
					return usageError(fmt.Errorf("--log-level: %w", err))
				}
			}
			logLevel = level
			e.log = slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return usageError(errors.New("gateway: -c FILE is required"))
			}
			// The running gateway logs a line per request: buffered, and
			// flushed every second and on exit.
			lb := logbuf.New(e.stderr, 64<<10, time.Second)
			defer lb.Close()
			e.log = slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: logLevel}))
			return runGateway(cmd.Context(), e, lb, cfgPath, watch)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "gateway configuration file (docs/gateway.md)")
	cmd.Flags().BoolVar(&watch, "watch", false, "reload when the configuration file changes")
	cmd.AddCommand(newGatewayValidateCmd(e), newGatewayEchoCmd(e))
	return cmd
}

// applyEnv sets flags the user did not give from RAMPART_<FLAG>.
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := "RAMPART_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if f.Name == "config" {
			name = "RAMPART_GATEWAY_CONFIG"
		}
		if v, ok := os.LookupEnv(name); ok {
			if e := cmd.Flags().Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

// runGateway runs the gateway; access is the writer behind e.log, which the
// gateway writes its access lines to directly (gateway.Options.AccessLog).
func runGateway(ctx context.Context, e *env, access io.Writer, path string, watch bool) error {
	cfg, err := config.Load(path)
	if err != nil {
		return usageError(err)
	}
	applyMemoryPolicy(cfg.MemoryLimitBytes, e.log)
	m := metrics.New()
	opts := gateway.Options{Logger: e.log, Metrics: m, AccessLog: access}
	if cfg.Events.File != "" {
		ev, err := events.Open(cfg.Events.File, cfg.Events.Queue, m.EventsDropped.Inc, e.log)
		if err != nil {
			return usageError(err)
		}
		defer ev.Close()
		opts.Events = ev
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := gateway.New(ctx, cfg, opts)
	if err != nil {
		return usageError(err)
	}
	warnNearMemoryLimit(e.log)
	if err := srv.Listen(); err != nil {
		return failedError(err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = srv.ReloadFile(path) // logged inside
			}
		}
	}()
	if watch {
		if err := gateway.WatchFile(ctx, path, e.log, func() { _ = srv.ReloadFile(path) }); err != nil {
			return failedError(err)
		}
	}
	if err := srv.Serve(ctx); err != nil {
		return failedError(err)
	}
	return nil
}

// applyMemoryPolicy undoes main's GOGC=400, which suits short scans but
// lets a long-running gateway's heap grow to five times its live size (over
// 300 MB with the CRS), and sets the soft memory limit from memory_limit.
// GOGC and GOMEMLIMIT in the environment still win, as the runtime documents.
func applyMemoryPolicy(limit int64, log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if os.Getenv("GOMEMLIMIT") == "" && limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	// SetMemoryLimit with a negative value only reads the limit.
	log.Debug("memory policy", "gogc_env", os.Getenv("GOGC"), "memory_limit", debug.SetMemoryLimit(-1))
}

// warnNearMemoryLimit says so when the loaded configuration's live heap
// (WAF rules mostly: 26 MB for the CRS, and each distinct WAF setting
// compiles its own copy) is over half the soft limit. Traffic adds about
// as much again (55 MB in use with the CRS under load), so the collector
// would run nearly continuously, up to the runtime's cap of half the CPU.
func warnNearMemoryLimit(log *slog.Logger) {
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return
	}
	runtime.GC() // once at start, so the live heap is measured, not garbage
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(sample)
	if sample[0].Value.Kind() != rtmetrics.KindUint64 {
		return
	}
	live := sample[0].Value.Uint64()
	log.Debug("live heap after loading the configuration", "live_heap_bytes", live, "memory_limit_bytes", limit)
	if live > uint64(limit)/2 {
		log.Warn("live heap is close to the memory limit: raise memory_limit (or GOMEMLIMIT) to avoid constant garbage collection",
			"live_heap_bytes", live, "memory_limit_bytes", limit)
	}
}

func newGatewayValidateCmd(e *env) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "validate -c FILE",
		Short: "Check a gateway configuration file and exit (0 valid, 2 invalid)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return usageError(errors.New("gateway validate: -c FILE is required"))
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return usageError(err)
			}
			// Certificates, CAs and the WAF rules are loaded as the
			// gateway would, without opening any socket.
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			if _, err := gateway.New(ctx, cfg, gateway.Options{Logger: e.log}); err != nil {
				return usageError(fmt.Errorf("%s: %w", cfgPath, err))
			}
			fmt.Fprintf(e.stdout, "%s: valid (%d listeners, %d routes)\n", cfgPath, len(cfg.Listen), len(cfg.Routes))
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "gateway configuration file")
	return cmd
}

func newGatewayEchoCmd(e *env) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "echo --listen ADDR",
		Short: "Run a demo upstream that answers every request with its headers as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failedError(fmt.Errorf("echo: %w", err))
			}
			srv := &http.Server{Handler: echo.Handler(), ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			e.log.Info("echo upstream listening", "addr", ln.Addr().String())
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return failedError(fmt.Errorf("echo: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9000", "address to listen on")
	return cmd
}
