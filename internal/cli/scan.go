//go:build !gatewayonly

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/compliance"
	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/ignore"
	"github.com/rampart-sec/rampart/internal/policy"
	"github.com/rampart-sec/rampart/internal/report"
	"github.com/rampart-sec/rampart/internal/scan"
	"github.com/rampart-sec/rampart/internal/scan/config"
)

func newScanCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan configuration, code and images for security problems",
	}
	cmd.AddCommand(newScanConfigCmd(e), newScanFSCmd(e, "fs"), newScanFSCmd(e, "repo"), newScanSBOMCmd(e))
	return cmd
}

// outputFlags are shared by every command that writes findings.
type outputFlags struct {
	format         string
	output         string
	severity       string
	failOn         string
	showSuppressed bool
	ignoreFile     string
}

func (o *outputFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "table", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVarP(&o.severity, "severity", "s", "", "report only these severities, comma-separated (default all)")
	f.StringVar(&o.failOn, "fail-on", "", "exit 1 when a reported finding is at or above this severity")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "include suppressed findings in the report")
	f.StringVar(&o.ignoreFile, "ignorefile", "", "suppression file (default: "+ignore.FileName+" at each scan root)")
}

type configFlags struct {
	outputFlags
	policies      []string
	evaluator     string
	namespaces    []string
	allNamespaces bool
	skipDirs      []string
	skipFiles     []string
	helmValues    []string
	helmSet       []string
	compliance    string
	maxFileSize   int64
}

const scanConfigHelp = `Scan Kubernetes manifests, Helm charts, kustomizations and Dockerfiles for
misconfigurations with the bundled Rego policies and your own (--policy).

Inputs are recognised by content: YAML/JSON with apiVersion and kind is
Kubernetes (multi-document files and List kinds included); a directory with
Chart.yaml is a Helm chart, rendered with its values.yaml plus --helm-values
and --helm-set; a directory with kustomization.yaml is built with kustomize;
Dockerfile, *.Dockerfile, Containerfile and files starting with FROM are
Dockerfiles.`

// evaluatorHelp documents --policy-evaluator, which scan config and scan fs share.
const evaluatorHelp = "how Rego runs: plan (OPA's query plans, about a third of the CPU) or topdown (OPA's own evaluator, the reference)"

func newScanConfigCmd(e *env) *cobra.Command {
	var fl configFlags
	cmd := &cobra.Command{
		Use:     "config PATH...",
		Short:   "Scan Kubernetes, Helm, Kustomize and Dockerfile configuration",
		Long:    scanConfigHelp,
		Example: "  rampart scan config .\n  rampart scan config --fail-on high --format sarif -o rampart.sarif deploy/\n  rampart scan config --compliance pss-restricted k8s/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScanConfig(cmd.Context(), e, &fl, args)
		},
	}
	fl.register(cmd)
	f := cmd.Flags()
	f.StringSliceVarP(&fl.policies, "policy", "p", nil, "directory or file of extra Rego policies (repeatable)")
	f.StringSliceVarP(&fl.namespaces, "namespace", "n", nil, "Conftest package to evaluate (repeatable; default main)")
	f.BoolVar(&fl.allNamespaces, "all-namespaces", false, "evaluate deny/warn/violation rules of every user package")
	f.StringVar(&fl.evaluator, "policy-evaluator", policy.EvaluatorPlan, evaluatorHelp)
	f.StringSliceVar(&fl.skipDirs, "skip-dirs", nil, "directory names or paths (globs) to skip, besides .git, node_modules and vendor")
	f.StringSliceVar(&fl.skipFiles, "skip-files", nil, "file names or paths (globs) to skip")
	f.StringSliceVar(&fl.helmValues, "helm-values", nil, "values file for Helm charts (repeatable, later wins)")
	f.StringArrayVar(&fl.helmSet, "helm-set", nil, "Helm value as key=value, like helm --set (repeatable)")
	f.StringVar(&fl.compliance, "compliance", "", "print a per-control report for a framework: pss-baseline, pss-restricted, cis-docker-1.6, cis-k8s-1.10, nsa-k8s")
	f.Int64Var(&fl.maxFileSize, "max-file-size", scan.DefaultMaxFileSize, "skip files larger than this many bytes (reported as errors)")
	return cmd
}

func runScanConfig(ctx context.Context, e *env, fl *configFlags, args []string) error {
	failOn, sevs, err := fl.parse()
	if err != nil {
		return usageError(err)
	}
	eng, err := policy.Load(ctx, policy.Options{
		Dirs: fl.policies, Namespaces: fl.namespaces, AllNamespaces: fl.allNamespaces, Evaluator: fl.evaluator, Logger: e.log,
	})
	if err != nil {
		return usageError(err)
	}
	explicit, err := fl.loadIgnoreFile()
	if err != nil {
		return err
	}
	var all []finding.Finding
	var warnings []string
	var evaluated []compliance.Evaluated
	prog := newProgress(e)
	for _, root := range args {
		t, err := scan.NewDir(root, scan.DirOptions{
			SkipDirs: fl.skipDirs, SkipFiles: fl.skipFiles, MaxFileSize: fl.maxFileSize, Logger: e.log,
		})
		if err != nil {
			return usageError(err)
		}
		sc := config.New(config.Options{Engine: eng, HelmValues: fl.helmValues, HelmSet: fl.helmSet, Logger: e.log})
		runner := scan.Runner{Analyzers: sc.Analyzers(), Logger: e.log, Progress: prog.update}
		fs, err := runner.Run(ctx, t)
		if err != nil {
			return failedError(err)
		}
		w, err := settleTarget(explicit, root, len(args), fs)
		if err != nil {
			return err
		}
		warnings = append(warnings, w...)
		all = append(all, fs...)
		prefix := targetPrefix(root, len(args))
		for _, r := range sc.Resources() {
			evaluated = append(evaluated, compliance.Evaluated{Input: r.Input, Resource: r.Resource, Path: joinPrefix(prefix, r.Path), Line: r.Line})
		}
	}
	prog.done()
	all = dedupe(all)
	// Compliance judges every control, whatever --severity shows.
	var comp *compliance.Report
	if fl.compliance != "" {
		if comp, err = compliance.Build(fl.compliance, complianceRules(eng), evaluated, all); err != nil {
			return usageError(err)
		}
	}
	return finishScan(e, &fl.outputFlags, args, filterSeverity(all, sevs), warnings, comp, failOn, nil)
}

// loadIgnoreFile reads --ignorefile; nil when it is not given, and then
// each target's own ignore file applies.
func (o *outputFlags) loadIgnoreFile() (*ignore.File, error) {
	if o.ignoreFile == "" {
		return nil, nil
	}
	f, err := ignore.Load(o.ignoreFile, false)
	if err != nil {
		return nil, usageError(err)
	}
	return f, nil
}

// settleTarget applies one target's suppressions (--ignorefile, else the
// target's own file) and then gives its paths the target's prefix:
// ignore-file paths are relative to the target, so they apply first.
func settleTarget(explicit *ignore.File, root string, targets int, fs []finding.Finding) ([]string, error) {
	ign := explicit
	if ign == nil {
		var err error
		if ign, err = targetIgnoreFile(root); err != nil {
			return nil, usageError(err)
		}
	}
	warnings := applyIgnores(ign, fs, time.Now())
	prefix := targetPrefix(root, targets)
	for i := range fs {
		fs[i].Location.Path = joinPrefix(prefix, fs[i].Location.Path)
	}
	return warnings, nil
}

// finishScan logs the warnings, writes the report of the scanned targets
// and judges --fail-on on the findings judge keeps (all of them when judge
// is nil).
func finishScan(e *env, o *outputFlags, args []string, all []finding.Finding, warnings []string,
	comp *compliance.Report, failOn *finding.Severity, judge func([]finding.Finding) []finding.Finding) error {
	rep := report.New(report.Tool{Name: "rampart", Version: version()}, args, all, o.showSuppressed)
	rep.Warnings = warnings
	for _, w := range warnings {
		e.log.Warn(w)
	}
	rep.Compliance = comp
	base := ""
	if len(args) == 1 {
		base = sarifBase(args[0])
	}
	if err := writeReport(e, o, rep, base); err != nil {
		return failedError(err)
	}
	judged := rep.Findings
	if judge != nil {
		judged = judge(judged)
	}
	if failOn != nil && reaches(judged, *failOn) {
		return errFindings
	}
	return nil
}

func (o *outputFlags) parse() (failOn *finding.Severity, sevs []finding.Severity, err error) {
	if !slices.Contains(report.Formats, o.format) {
		return nil, nil, fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(report.Formats, ", "))
	}
	if o.failOn != "" {
		s, err := finding.ParseSeverity(o.failOn)
		if err != nil {
			return nil, nil, fmt.Errorf("--fail-on: %w", err)
		}
		failOn = &s
	}
	if o.severity != "" {
		if sevs, err = finding.ParseSeverities(o.severity); err != nil {
			return nil, nil, fmt.Errorf("--severity: %w", err)
		}
	}
	return failOn, sevs, nil
}

// reaches reports whether an unsuppressed finding is at or above the level.
func reaches(fs []finding.Finding, level finding.Severity) bool {
	for _, f := range fs {
		if !f.Suppressed && f.Severity >= level {
			return true
		}
	}
	return false
}

// filterSeverity keeps the requested severities. Errors are always kept: a
// file that could not be scanned is never silently dropped.
func filterSeverity(fs []finding.Finding, sevs []finding.Severity) []finding.Finding {
	if len(sevs) == 0 {
		return fs
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Kind == finding.KindError || slices.Contains(sevs, f.Severity) {
			out = append(out, f)
		}
	}
	return out
}

// dedupe drops findings reported twice (a base shared by two overlays).
func dedupe(fs []finding.Finding) []finding.Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		key := f.Fingerprint + "\x00" + f.Message
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	return out
}

// targetPrefix keeps paths apart when several targets are scanned: then each
// path is relative to the working directory; with one target, to the target.
func targetPrefix(root string, n int) string {
	if n <= 1 {
		return ""
	}
	if info, err := os.Stat(root); err == nil && !info.IsDir() {
		return filepath.ToSlash(filepath.Dir(root))
	}
	return filepath.ToSlash(filepath.Clean(root))
}

func joinPrefix(prefix, p string) string {
	if prefix == "" || prefix == "." {
		return p
	}
	if strings.HasSuffix(prefix, "/"+p) || prefix == p {
		return prefix
	}
	return prefix + "/" + p
}

// sarifBase is the scan root relative to the working directory, so SARIF
// paths resolve from the repository root as code-scanning services expect.
func sarifBase(root string) string {
	info, err := os.Stat(root)
	if err != nil {
		return ""
	}
	dir := root
	if !info.IsDir() {
		dir = filepath.Dir(root)
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.ToSlash(rel)
}

func writeReport(e *env, o *outputFlags, rep *report.Report, base string) error {
	var w io.Writer = e.stdout
	color := e.stdoutTTY && os.Getenv("NO_COLOR") == ""
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return fmt.Errorf("open output: %w", err)
		}
		defer f.Close()
		w, color = f, false
		if err := report.Write(w, o.format, rep, report.Options{Color: color, BaseDir: base}); err != nil {
			return err
		}
		return f.Close()
	}
	return report.Write(w, o.format, rep, report.Options{Color: color, BaseDir: base})
}

// targetIgnoreFile loads .rampartignore.yaml at a directory target's root,
// if there is one.
func targetIgnoreFile(root string) (*ignore.File, error) {
	info, err := os.Stat(root)
	if err != nil || !info.IsDir() {
		return nil, nil
	}
	return ignore.Load(filepath.Join(root, ignore.FileName), true)
}

// applyIgnores marks suppressed findings and returns a warning per expired
// entry that would still have matched.
func applyIgnores(file *ignore.File, fs []finding.Finding, now time.Time) []string {
	if file == nil {
		return nil
	}
	var warnings []string
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Suppressed {
			continue
		}
		entry, expired := file.Match(f, now)
		if entry != nil {
			f.Suppressed = true
			f.Suppression = &finding.Suppression{Source: file.Path, Reason: entry.Reason, Expires: entry.Expires}
			continue
		}
		if expired != nil && !seen[expired.String()] {
			seen[expired.String()] = true
			warnings = append(warnings, expired.String())
		}
	}
	return warnings
}

func complianceRules(eng *policy.Engine) []compliance.Rule {
	var out []compliance.Rule
	for _, r := range eng.Rules() {
		out = append(out, compliance.Rule{ID: r.ID, Input: r.Input, Controls: r.Controls, AppliesTo: r.AppliesTo})
	}
	return out
}
