//go:build !gatewayonly

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/vulndb"
)

// DefaultDBMaxAge is when `rampart db status` (and a scan) calls the
// database stale.
const DefaultDBMaxAge = 72 * time.Hour

const dbHelp = `Manage the local copy of the OSV vulnerability database (https://osv.dev)
that dependency and image scans match packages against.

The database lives in --db-dir (default: the user cache directory, e.g.
~/.cache/rampart/db) as one file, rampart.db. Updates download each
ecosystem's all.zip from --db-url (default the public OSV bucket; point it at
a mirror with the same <Ecosystem>/all.zip layout), skip archives that have
not changed, and replace the file atomically.`

type dbFlags struct {
	dir string
	// What scans add: where a missing database comes from, whether it may,
	// and when one is old enough to warn about.
	url     string
	offline bool
	maxAge  time.Duration
}

func (d *dbFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.dir, "db-dir", "", "database directory (default <user cache dir>/rampart/db)")
}

// registerScan adds the database flags of the scan commands.
func (d *dbFlags) registerScan(cmd *cobra.Command) {
	d.register(cmd)
	f := cmd.Flags()
	f.StringVar(&d.url, "db-url", vulndb.DefaultBaseURL, "where a missing database is downloaded from (<url>/<Ecosystem>/all.zip)")
	f.BoolVar(&d.offline, "offline", false, "never touch the network: fail instead of downloading a missing database")
	f.DurationVar(&d.maxAge, "db-max-age", DefaultDBMaxAge, "warn when the database was last updated longer ago than this")
}

func (d *dbFlags) resolve() (string, error) {
	if d.dir != "" {
		return d.dir, nil
	}
	return vulndb.DefaultDir()
}

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Download and inspect the OSV vulnerability database",
		Long:  dbHelp,
	}
	cmd.AddCommand(newDBUpdateCmd(e), newDBStatusCmd(e))
	return cmd
}

func newDBUpdateCmd(e *env) *cobra.Command {
	var fl dbFlags
	var url string
	var ecosystems []string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download or refresh the OSV vulnerability database",
		Long: dbHelp + `

Exit status 3 when an ecosystem could not be updated; the others are still
written, and the failed one keeps its previous data.`,
		Example: "  rampart db update\n  rampart db update --ecosystems Go,npm\n  RAMPART_DB_URL=https://mirror.example.com/osv rampart db update",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBUpdate(cmd.Context(), e, &fl, url, ecosystems)
		},
	}
	fl.register(cmd)
	f := cmd.Flags()
	f.StringVar(&url, "db-url", vulndb.DefaultBaseURL, "base URL of the OSV archives (<url>/<Ecosystem>/all.zip)")
	f.StringSliceVar(&ecosystems, "ecosystems", vulndb.DefaultEcosystems, "ecosystems to download, comma-separated, as OSV names them")
	return cmd
}

func runDBUpdate(ctx context.Context, e *env, fl *dbFlags, url string, ecosystems []string) error {
	dir, err := fl.resolve()
	if err != nil {
		return usageError(err)
	}
	opts := vulndb.UpdateOptions{Dir: dir, BaseURL: url, Ecosystems: ecosystems, Logger: e.log}
	if e.stderrTTY && e.log.Enabled(ctx, slog.LevelWarn) {
		opts.Progress = func(eco string, i, n int) {
			fmt.Fprintf(e.stderr, "\r\x1b[KUpdating %s (%d/%d)", eco, i+1, n)
		}
	}
	res, err := vulndb.Update(ctx, opts)
	if opts.Progress != nil {
		fmt.Fprint(e.stderr, "\r\x1b[K")
	}
	if len(res.Ecosystems) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ECOSYSTEM\tSTATUS\tRECORDS\tSKIPPED")
		for _, r := range res.Ecosystems {
			status := r.Status
			if r.Err != nil {
				status += ": " + r.Err.Error()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", r.Name, status, r.Records, r.Skipped)
		}
		tw.Flush()
	}
	if res.ProblemCount > 0 {
		e.log.Warn("archive entries or ranges skipped", "count", res.ProblemCount)
	}
	if err != nil {
		if errors.Is(err, vulndb.ErrInvalidOptions) {
			return usageError(err)
		}
		return failedError(err)
	}
	return nil
}

func newDBStatusCmd(e *env) *cobra.Command {
	var fl dbFlags
	var format string
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the ecosystems, record counts and age of the local database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBStatus(cmd.Context(), e, &fl, format, maxAge)
		},
	}
	fl.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	cmd.Flags().DurationVar(&maxAge, "max-age", DefaultDBMaxAge, "call the database stale when older than this")
	return cmd
}

func runDBStatus(ctx context.Context, e *env, fl *dbFlags, format string, maxAge time.Duration) error {
	if format != "table" && format != "json" {
		return usageError(fmt.Errorf("--format %q: want table or json", format))
	}
	dir, err := fl.resolve()
	if err != nil {
		return usageError(err)
	}
	s, err := vulndb.Open(ctx, dir)
	if err != nil {
		return failedError(err)
	}
	defer s.Close()
	m := s.Meta()
	age := s.Age()
	stale := age > maxAge
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Dir        string  `json:"dir"`
			AgeSeconds float64 `json:"age_seconds"`
			Stale      bool    `json:"stale"`
			vulndb.Meta
		}{dir, age.Seconds(), stale, m})
	}
	fmt.Fprintf(e.stdout, "Database: %s\nSource:   %s\nAge:      %s", dir, m.SourceURL, age.Round(time.Second))
	if stale {
		fmt.Fprintf(e.stdout, " (stale: older than %s; run rampart db update)", maxAge)
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tRECORDS\tPACKAGES\tWITHDRAWN\tSKIPPED\tIMPORTED\tCHECKED")
	for _, ec := range m.Ecosystems {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", ec.Name, ec.Records, ec.Packages, ec.Withdrawn, ec.Skipped,
			ec.Imported.Format(time.RFC3339), ec.Checked.Format(time.RFC3339))
	}
	return tw.Flush()
}
