// Package cli is Rampart's command line: one file per subcommand, explicit
// wiring, and the exit codes users script against.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, documented in `rampart --help` and the README.
const (
	ExitOK       = 0 // no finding at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // bad flags, config or policies
	ExitFailed   = 3 // the scan itself failed
)

// exitError carries an exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error  { return &exitError{code: ExitUsage, err: err} }
func failedError(err error) error { return &exitError{code: ExitFailed, err: err} }

// errFindings is returned when findings reach --fail-on; Main prints nothing
// more for it.
var errFindings = &exitError{code: ExitFindings, err: errors.New("findings at or above --fail-on")}

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = ""

func version() string {
	v := "dev"
	if Version != "" {
		v = Version
	} else if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if edition != "" {
		v += " (" + edition + " build)"
	}
	return v
}

// env is what commands need from the process: streams and a logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	// stdoutTTY is true when stdout is a terminal (colours, table default).
	stdoutTTY, stderrTTY bool
}

const rootHelp = `Rampart secures the four layers of a cloud-native system (cloud, cluster,
container, code) before deploy, with one policy engine (OPA/Rego).

Exit codes:
  0  no finding at or above --fail-on (or no --fail-on given)
  1  findings at or above --fail-on
  2  usage, configuration or policy error
  3  the scan itself failed

Flags can also be set with RAMPART_<FLAG> environment variables
(RAMPART_FAIL_ON=high) and in a YAML config file given with --config.`

// NewRoot builds the command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	e := &env{stdout: stdout, stderr: stderr}
	e.stdoutTTY = isTerminal(stdout)
	e.stderrTTY = isTerminal(stderr)
	var logLevel string
	var quiet bool
	long := rootHelp
	if edition != "" {
		long += "\n\nThis is the " + edition + " build: the scanners are left out (docs/gateway.md)."
	}
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Cloud-native security scanner and policy engine",
		Long:          long,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return usageError(err)
			}
			level := slog.LevelWarn
			if quiet {
				level = slog.LevelError
			}
			if logLevel != "" {
				if err := level.UnmarshalText([]byte(logLevel)); err != nil {
					return usageError(fmt.Errorf("--log-level: %w", err))
				}
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVarP(&quiet, "quiet", "q", false, "print no progress and only errors on stderr")
	root.PersistentFlags().StringVar(&logLevel, "log-level", "", "log level: debug, info, warn, error")
	root.PersistentFlags().String("config", "", "YAML file of flag values (keys are flag names)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(commands(e)...)
	return root
}

// Main runs the CLI on the process's streams and returns the exit code.
func Main(ctx context.Context, args []string) int {
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// Run runs the CLI with the given arguments and streams and returns the
// exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee != errFindings {
			fmt.Fprintf(stderr, "rampart: %v\n", err)
		}
		return ee.code
	}
	// Errors cobra raises itself (unknown command, bad args) are usage errors.
	fmt.Fprintf(stderr, "rampart: %v\n", err)
	return ExitUsage
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
