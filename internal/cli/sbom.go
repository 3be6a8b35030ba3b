//go:build !gatewayonly

package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/boundedio"
	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/report"
	"github.com/rampart-sec/rampart/internal/sbom"
	"github.com/rampart-sec/rampart/internal/scan"
	"github.com/rampart-sec/rampart/internal/scan/deps"
	"github.com/rampart-sec/rampart/internal/vex"
)

type sbomFlags struct {
	format      string
	output      string
	skipDirs    []string
	skipFiles   []string
	maxFileSize int64
}

func newSBOMCmd(e *env) *cobra.Command {
	var fl sbomFlags
	cmd := &cobra.Command{
		Use:   "sbom PATH",
		Short: "Write a software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) of a directory",
		Long: `Write a software bill of materials of the packages found in a directory's
lockfiles, manifests and Go binaries (the same extractors as scan fs), with
package URLs. Files that cannot be parsed are reported on stderr and left out.`,
		Example: "  rampart sbom . --format cyclonedx -o bom.json\n  rampart sbom . --format spdx-json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSBOM(cmd.Context(), e, &fl, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&fl.format, "format", "f", sbom.FormatCycloneDX, "SBOM format: "+strings.Join(sbom.Formats, ", "))
	f.StringVarP(&fl.output, "output", "o", "", "write the SBOM to this file instead of stdout")
	f.StringSliceVar(&fl.skipDirs, "skip-dirs", nil, "directory names or paths (globs) to skip, besides .git, node_modules and vendor")
	f.StringSliceVar(&fl.skipFiles, "skip-files", nil, "file names or paths (globs) to skip")
	f.Int64Var(&fl.maxFileSize, "max-file-size", scan.DefaultMaxFileSize, "skip files larger than this many bytes (reported on stderr)")
	return cmd
}

func runSBOM(ctx context.Context, e *env, fl *sbomFlags, root string) error {
	if !slices.Contains(sbom.Formats, fl.format) {
		return usageError(fmt.Errorf("--format %q: want one of %s", fl.format, strings.Join(sbom.Formats, ", ")))
	}
	t, err := scan.NewDir(root, scan.DirOptions{SkipDirs: fl.skipDirs, SkipFiles: fl.skipFiles, MaxFileSize: fl.maxFileSize, Logger: e.log})
	if err != nil {
		return usageError(err)
	}
	x, err := deps.NewExtractor(root, fl.maxFileSize, e.log)
	if err != nil {
		return failedError(err)
	}
	prog := newProgress(e)
	runner := scan.Runner{Analyzers: []scan.Analyzer{x}, Logger: e.log, Progress: prog.update}
	errs, err := runner.Run(ctx, t)
	prog.done()
	if err != nil {
		return failedError(err)
	}
	for _, f := range errs {
		e.log.Warn("file left out of the SBOM", "path", f.Location.Path, "err", f.Message)
	}
	var comps []sbom.Component
	for _, p := range x.Packages() {
		comps = append(comps, sbom.Component{
			Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL,
			Locations: []sbom.Location{{Path: p.Path, Line: p.Line}},
		})
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return failedError(err)
	}
	doc := sbom.Document{Name: filepath.Base(abs), Tool: "rampart", Version: version(), Components: comps}
	var w io.Writer = e.stdout
	if fl.output != "" {
		f, err := os.Create(fl.output)
		if err != nil {
			return failedError(fmt.Errorf("open output: %w", err))
		}
		defer f.Close()
		w = f
	}
	if err := sbom.Write(w, fl.format, doc); err != nil {
		return failedError(err)
	}
	if f, ok := w.(*os.File); ok && fl.output != "" {
		if err := f.Close(); err != nil {
			return failedError(err)
		}
	}
	return nil
}

type scanSBOMFlags struct {
	outputFlags
	db            dbFlags
	ignoreUnfixed bool
	vex           []string
}

func newScanSBOMCmd(e *env) *cobra.Command {
	var fl scanSBOMFlags
	cmd := &cobra.Command{
		Use:   "sbom FILE",
		Short: "Match the components of a CycloneDX or SPDX JSON SBOM against the vulnerability database",
		Long: `Match the components of a CycloneDX or SPDX JSON SBOM, by package URL,
against the local vulnerability database (rampart db update). Findings point
at the SBOM file and the line of the component's purl. Components whose purl
cannot be used are reported as error findings.`,
		Example: "  rampart scan sbom bom.json --fail-on high",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScanSBOM(cmd.Context(), e, &fl, args[0])
		},
	}
	fl.register(cmd)
	f := cmd.Flags()
	fl.db.registerScan(cmd)
	f.BoolVar(&fl.ignoreUnfixed, "ignore-unfixed", false, "leave out vulnerabilities that have no fixed version")
	f.StringSliceVar(&fl.vex, "vex", nil, "OpenVEX document whose not_affected and fixed statements suppress findings (repeatable)")
	return cmd
}

func runScanSBOM(ctx context.Context, e *env, fl *scanSBOMFlags, file string) error {
	failOn, sevs, err := fl.parse()
	if err != nil {
		return usageError(err)
	}
	var docs []*vex.Document
	for _, p := range fl.vex {
		d, err := vex.Load(p)
		if err != nil {
			return usageError(err)
		}
		docs = append(docs, d)
	}
	ign, err := fl.loadIgnoreFile()
	if err != nil {
		return err
	}
	src, err := readBounded(file, sbom.MaxInputSize)
	if err != nil {
		return usageError(fmt.Errorf("read sbom: %w", err))
	}
	in, err := sbom.Read(bytes.NewReader(src))
	if err != nil {
		return usageError(fmt.Errorf("%s: %w", file, err))
	}
	store, err := openStore(ctx, e, &fl.db)
	if err != nil {
		return err
	}
	defer store.Close()
	name := filepath.ToSlash(file)
	var fs []finding.Finding
	for _, p := range in.Problems {
		fs = append(fs, scan.ErrorFinding(name, fmt.Errorf("component %s: %s", p.Ref, p.Message)))
	}
	pkgs := make([]deps.Package, 0, len(in.Components))
	for _, c := range in.Components {
		pkgs = append(pkgs, deps.Package{
			Name: c.Name, Version: c.Version, Ecosystem: c.Ecosystem, PURL: c.PURL,
			Path: name, Line: lineOf(src, c.PURL),
		})
	}
	vfs, err := deps.Findings(ctx, storeMatcher{store}, pkgs, deps.MatchOptions{IgnoreUnfixed: fl.ignoreUnfixed})
	if err != nil {
		return failedError(err)
	}
	fs = append(fs, vfs...)
	warnings := applyIgnores(ign, fs, time.Now())
	vex.Apply(docs, fs)
	fs = filterSeverity(dedupe(fs), sevs)
	rep := report.New(report.Tool{Name: "rampart", Version: version()}, []string{file}, fs, fl.showSuppressed)
	rep.Warnings = warnings
	if err := writeReport(e, &fl.outputFlags, rep, ""); err != nil {
		return failedError(err)
	}
	if failOn != nil && reaches(rep.Findings, *failOn) {
		return errFindings
	}
	return nil
}

// lineOf is the 1-based line of the first occurrence of s in src (a purl
// as the SBOM spells it), 0 when absent. SPDX and CycloneDX writers escape
// purls alike in JSON except for "/", which some escape as "\/".
func lineOf(src []byte, s string) int {
	i := bytes.Index(src, []byte(s))
	if i < 0 {
		i = bytes.Index(src, []byte(strings.ReplaceAll(s, "/", `\/`)))
	}
	if i < 0 {
		return 0
	}
	return bytes.Count(src[:i], []byte("\n")) + 1
}

// readBounded reads a whole file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := boundedio.ReadAll(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
