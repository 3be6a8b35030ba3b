//go:build !gatewayonly

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/scan"
	"github.com/rampart-sec/rampart/internal/scan/config"
	"github.com/rampart-sec/rampart/internal/scan/deps"
	"github.com/rampart-sec/rampart/internal/scan/deps/reach"
	"github.com/rampart-sec/rampart/internal/scan/secret"
	"github.com/rampart-sec/rampart/internal/vex"
	"github.com/rampart-sec/rampart/internal/vulndb"
)

// Scanners of `scan fs`.
const (
	scannerVuln      = "vuln"
	scannerSecret    = "secret"
	scannerMisconfig = "misconfig"
)

var allScanners = []string{scannerVuln, scannerSecret, scannerMisconfig}

type fsFlags struct {
	outputFlags
	scanners      []string
	db            dbFlags
	ignoreUnfixed bool
	vex           []string
	reachableOnly bool
	noReach       bool
	reachTimeout  time.Duration
	secretConfig  string
	gitHistory    bool
	policies      []string
	evaluator     string
	skipDirs      []string
	skipFiles     []string
	maxFileSize   int64
}

const scanFSHelp = `Scan a directory for vulnerable dependencies, leaked secrets and
misconfigurations: the one command a CI job needs.

vuln       lockfiles, manifests and Go binaries (Go, npm, yarn, pnpm, Python,
           Rust, Ruby, PHP, Java, .NET, Dart) matched against the local
           vulnerability database (rampart db update); Go modules with source
           are analysed for reachability with govulncheck
secret     credentials in files (and with --git-history in every commit)
misconfig  Kubernetes, Helm, Kustomize and Dockerfiles, as scan config

Vulnerabilities are suppressed by .rampartignore.yaml (rule: an advisory id
or alias, optional package: name or name@version) and by OpenVEX documents
(--vex) whose statements say not_affected or fixed.`

func newScanFSCmd(e *env, use string) *cobra.Command {
	var fl fsFlags
	cmd := &cobra.Command{
		Use:   use + " PATH...",
		Short: "Scan a directory for vulnerable dependencies, secrets and misconfigurations",
		Long:  scanFSHelp,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScanFS(cmd.Context(), e, &fl, args, use == "repo")
		},
	}
	if use == "repo" {
		cmd.Short = "Scan a git checkout (like scan fs; --git-history scans every commit for secrets)"
		cmd.Example = "  rampart scan repo --git-history ."
	} else {
		cmd.Example = "  rampart scan fs .\n  rampart scan fs --scanners vuln --fail-on high --reachable-only .\n  rampart scan fs --vex app.openvex.json --format sarif -o rampart.sarif ."
	}
	fl.register(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&fl.scanners, "scanners", allScanners, "what to run: "+strings.Join(allScanners, ","))
	fl.db.registerScan(cmd)
	f.BoolVar(&fl.ignoreUnfixed, "ignore-unfixed", false, "leave out vulnerabilities that have no fixed version")
	f.StringSliceVar(&fl.vex, "vex", nil, "OpenVEX document whose not_affected and fixed statements suppress findings (repeatable)")
	f.BoolVar(&fl.reachableOnly, "reachable-only", false, "--fail-on ignores vulnerabilities that reachability analysis found unreachable")
	f.BoolVar(&fl.noReach, "skip-reachability", false, "do not run reachability analysis on Go modules")
	f.DurationVar(&fl.reachTimeout, "reachability-timeout", reach.DefaultTimeout, "time limit of the reachability analysis of one Go module")
	f.StringVar(&fl.secretConfig, "secret-config", "", "gitleaks TOML rules file (default: the bundled gitleaks rules; [extend] useDefault = true adds to them)")
	f.BoolVar(&fl.gitHistory, "git-history", false, "also scan every commit of the git history for secrets")
	f.StringSliceVarP(&fl.policies, "policy", "p", nil, "directory or file of extra Rego policies for misconfig (repeatable)")
	f.StringVar(&fl.evaluator, "policy-evaluator", policy.EvaluatorPlan, evaluatorHelp)
	f.StringSliceVar(&fl.skipDirs, "skip-dirs", nil, "directory names or paths (globs) to skip, besides .git, node_modules and vendor")
	f.StringSliceVar(&fl.skipFiles, "skip-files", nil, "file names or paths (globs) to skip")
	f.Int64Var(&fl.maxFileSize, "max-file-size", scan.DefaultMaxFileSize, "skip files larger than this many bytes (reported as errors)")
	return cmd
}

func (fl *fsFlags) enabled() (map[string]bool, error) {
	on := map[string]bool{}
	for _, s := range fl.scanners {
		s = strings.TrimSpace(s)
		if !slices.Contains(allScanners, s) {
			return nil, fmt.Errorf("--scanners: unknown scanner %q (want %s)", s, strings.Join(allScanners, ","))
		}
		on[s] = true
	}
	if len(on) == 0 {
		return nil, errors.New("--scanners: name at least one scanner")
	}
	if fl.gitHistory && !on[scannerSecret] {
		return nil, errors.New("--git-history needs the secret scanner in --scanners")
	}
	return on, nil
}

// fsScan holds what one `scan fs` run opened once for every target.
type fsScan struct {
	fl      *fsFlags
	on      map[string]bool
	store   *vulndb.Store
	eng     *policy.Engine
	secrets *secret.Scanner
	vex     []*vex.Document
}

func runScanFS(ctx context.Context, e *env, fl *fsFlags, args []string, repo bool) error {
	failOn, sevs, err := fl.parse()
	if err != nil {
		return usageError(err)
	}
	on, err := fl.enabled()
	if err != nil {
		return usageError(err)
	}
	s := &fsScan{fl: fl, on: on}
	for _, p := range fl.vex {
		d, err := vex.Load(p)
		if err != nil {
			return usageError(err)
		}
		s.vex = append(s.vex, d)
	}
	if on[scannerVuln] {
		if s.store, err = openStore(ctx, e, &fl.db); err != nil {
			return err
		}
		defer s.store.Close()
	}
	if on[scannerMisconfig] {
		if s.eng, err = policy.Load(ctx, policy.Options{Dirs: fl.policies, Evaluator: fl.evaluator, Logger: e.log}); err != nil {
			return usageError(err)
		}
	}
	if on[scannerSecret] {
		s.secrets, err = secret.New(ctx, secret.Options{ConfigPath: fl.secretConfig, Logger: e.log, MaxFileSize: fl.maxFileSize})
		if err != nil {
			return usageError(err)
		}
	}
	explicit, err := fl.loadIgnoreFile()
	if err != nil {
		return err
	}
	var all []finding.Finding
	var warnings []string
	prog := newProgress(e)
	for _, root := range args {
		if repo {
			if info, err := os.Stat(filepath.Join(root, ".git")); err != nil || info == nil {
				return usageError(fmt.Errorf("%s is not a git checkout (no .git): use scan fs", root))
			}
		}
		fs, w, err := s.scanTarget(ctx, e, root, prog)
		if err != nil {
			return err
		}
		warnings = append(warnings, w...)
		sw, err := settleTarget(explicit, root, len(args), fs)
		if err != nil {
			return err
		}
		warnings = append(warnings, sw...)
		// After the ignore file, so an entry there is the recorded reason;
		// VEX matches packages, not paths.
		vex.Apply(s.vex, fs)
		all = append(all, fs...)
	}
	prog.done()
	judge := func(fs []finding.Finding) []finding.Finding { return failing(fs, fl.reachableOnly) }
	return finishScan(e, &fl.outputFlags, args, filterSeverity(dedupe(all), sevs), warnings, nil, failOn, judge)
}

// scanTarget walks one target once with every enabled analyzer, then
// matches the packages found and runs reachability where it applies.
func (s *fsScan) scanTarget(ctx context.Context, e *env, root string, prog *progress) ([]finding.Finding, []string, error) {
	t, err := scan.NewDir(root, scan.DirOptions{
		SkipDirs: s.fl.skipDirs, SkipFiles: s.fl.skipFiles, MaxFileSize: s.fl.maxFileSize, Logger: e.log,
	})
	if err != nil {
		return nil, nil, usageError(err)
	}
	// Two runs over the one target: Helm and Kustomize claim every file of
	// their directories for the config scanner (scan.Preparer), which would
	// hide a lockfile or a leaked key inside a chart from the other
	// scanners if they shared the run.
	var code []scan.Analyzer
	var x *deps.Extractor
	if s.on[scannerVuln] {
		if x, err = deps.NewExtractor(root, s.fl.maxFileSize, e.log); err != nil {
			return nil, nil, failedError(err)
		}
		code = append(code, x)
	}
	if s.on[scannerSecret] {
		code = append(code, s.secrets)
	}
	var fs []finding.Finding
	for _, analyzers := range [][]scan.Analyzer{code, s.misconfig(e)} {
		if len(analyzers) == 0 {
			continue
		}
		runner := scan.Runner{Analyzers: analyzers, Logger: e.log, Progress: prog.update}
		got, err := runner.Run(ctx, t)
		if err != nil {
			return nil, nil, failedError(err)
		}
		fs = append(fs, got...)
	}
	var warnings []string
	if x != nil {
		pkgs := x.Packages()
		vfs, err := deps.Findings(ctx, storeMatcher{s.store}, pkgs, deps.MatchOptions{IgnoreUnfixed: s.fl.ignoreUnfixed})
		if err != nil {
			return nil, nil, failedError(err)
		}
		if !s.fl.noReach {
			base := root
			if info, err := os.Stat(root); err == nil && !info.IsDir() {
				base = filepath.Dir(root)
			}
			warnings = deps.MarkReachable(ctx, base, pkgs, vfs, deps.ReachOptions{
				Lookup: storeRecords(s.store), Timeout: s.fl.reachTimeout, Logger: e.log,
			})
		}
		fs = append(fs, vfs...)
	}
	if s.fl.gitHistory {
		hfs, err := s.secrets.ScanHistory(ctx, root)
		if err != nil {
			return nil, nil, failedError(fmt.Errorf("git history: %w", err))
		}
		fs = append(fs, hfs...)
	}
	return fs, warnings, nil
}

// misconfig returns the config scanner's analyzers when it is enabled.
func (s *fsScan) misconfig(e *env) []scan.Analyzer {
	if !s.on[scannerMisconfig] {
		return nil
	}
	return config.New(config.Options{Engine: s.eng, Logger: e.log}).Analyzers()
}

// failing is what --fail-on judges. With --reachable-only a vulnerability
// that analysis found unreachable does not count; one that was not
// analysed (another ecosystem, no source, analysis failed) still counts:
// unknown is not safe.
func failing(fs []finding.Finding, reachableOnly bool) []finding.Finding {
	if !reachableOnly {
		return fs
	}
	var out []finding.Finding
	for _, f := range fs {
		if f.Kind == finding.KindVulnerability && f.Package != nil && f.Package.Reachable != nil && !*f.Package.Reachable {
			continue
		}
		out = append(out, f)
	}
	return out
}

// openStore opens the vulnerability database (--db-dir, else the default
// directory). A missing database is downloaded first, as Trivy does, unless
// --offline forbids the network; then it is a usage error, because scanning
// without one would report nothing and look clean. An old database gets a
// warning.
func openStore(ctx context.Context, e *env, fl *dbFlags) (*vulndb.Store, error) {
	dir, err := fl.resolve()
	if err != nil {
		return nil, usageError(err)
	}
	st, err := vulndb.Open(ctx, dir, vulndb.WithLogger(e.log))
	if errors.Is(err, vulndb.ErrNoDatabase) && !fl.offline {
		e.log.Warn("no vulnerability database: downloading it (--offline prevents this)", "dir", dir, "url", vulndb.RedactURL(fl.url))
		if _, uerr := vulndb.Update(ctx, vulndb.UpdateOptions{Dir: dir, BaseURL: fl.url, Logger: e.log}); uerr != nil && !errors.Is(uerr, vulndb.ErrUpdateIncomplete) {
			return nil, failedError(fmt.Errorf("download the vulnerability database: %w", uerr))
		}
		st, err = vulndb.Open(ctx, dir, vulndb.WithLogger(e.log))
	}
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return nil, usageError(fmt.Errorf("%w; with --offline, run rampart db update first", err))
	}
	if err != nil {
		return nil, failedError(err)
	}
	if age := st.Age(); fl.maxAge > 0 && age > fl.maxAge {
		e.log.Warn("the vulnerability database is older than --db-max-age: run rampart db update",
			"age", age.Round(time.Hour).String(), "max_age", fl.maxAge.String())
	}
	return st, nil
}

// storeMatcher adapts the vulnerability store to deps.Matcher.
type storeMatcher struct{ s *vulndb.Store }

func (m storeMatcher) Match(ctx context.Context, qs []deps.Query) ([][]deps.Advisory, error) {
	pkgs := make([]vulndb.Package, len(qs))
	for i, q := range qs {
		pkgs[i] = vulndb.Package{Ecosystem: q.Ecosystem, Name: q.Name, Version: q.Version}
	}
	res, err := m.s.Match(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	out := make([][]deps.Advisory, len(res))
	for i, ms := range res {
		for _, mt := range ms {
			v := mt.Vuln
			out[i] = append(out[i], deps.Advisory{
				ID: v.ID, Aliases: v.Aliases, Summary: v.Summary, Details: v.Details,
				References: v.References, Severity: v.Severity, FixedVersions: mt.FixedVersions,
			})
		}
	}
	return out, nil
}

func storeRecords(s *vulndb.Store) deps.RecordLookup {
	return func(ctx context.Context, ecosystem, name string) ([][]byte, error) {
		vs, err := s.Lookup(ctx, ecosystem, name)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, 0, len(vs))
		for _, v := range vs {
			out = append(out, v.Raw)
		}
		return out, nil
	}
}
