// Command rampart is the Rampart security scanner, gateway and policy engine.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampart-sec/rampart/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
