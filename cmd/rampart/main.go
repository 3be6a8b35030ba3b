// Command rampart is the Rampart security scanner, gateway and policy engine.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/rampart-sec/rampart/internal/cli"
)

func main() {
	// Policy evaluation allocates many short-lived values while the live
	// heap stays small; collecting a quarter as often saves about 15% of the
	// CPU of a scan (docs/benchmarks.md). GOGC still overrides this. The
	// long-running gateway sets its own policy (GOGC 100 and a soft memory
	// limit, internal/cli/gateway.go).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
