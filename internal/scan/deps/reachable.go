package deps

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan/deps/reach"
)

// RecordLookup returns the raw OSV records of one package.
type RecordLookup func(ctx context.Context, ecosystem, name string) ([][]byte, error)

// ReachOptions configures MarkReachable.
type ReachOptions struct {
	Lookup  RecordLookup
	Timeout time.Duration // per module; 0 means reach.DefaultTimeout
	Logger  *slog.Logger
}

// MarkReachable runs call-graph analysis for every Go module under root
// that has vulnerability findings and source code, and sets
// Package.Reachable on those findings. It is slow, so it runs only where
// it can change something. A module whose analysis fails keeps Reachable
// unset and yields a warning; the scan goes on.
func MarkReachable(ctx context.Context, root string, pkgs []Package, fs []finding.Finding, opts ReachOptions) (warnings []string) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	byMod := map[string][]int{}
	for i, f := range fs {
		if f.Kind == finding.KindVulnerability && f.Package != nil && f.Package.Ecosystem == "Go" && path.Base(f.Location.Path) == "go.mod" {
			byMod[f.Location.Path] = append(byMod[f.Location.Path], i)
		}
	}
	mods := make([]string, 0, len(byMod))
	for m := range byMod {
		mods = append(mods, m)
	}
	slices.Sort(mods)
	for _, mod := range mods {
		dir := filepath.Join(root, filepath.FromSlash(path.Dir(mod)))
		if !reach.HasGoSource(dir) {
			log.Debug("no Go source: reachability not analysed", "module", mod)
			continue
		}
		records, err := moduleRecords(ctx, opts.Lookup, mod, pkgs)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: reachability not analysed: %v", mod, err))
			continue
		}
		res, err := reach.Analyze(ctx, log, dir, records, opts.Timeout)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: reachability not analysed: %v", mod, err))
			continue
		}
		for _, i := range byMod[mod] {
			f := &fs[i]
			r := reachableOf(res, f)
			f.Package.Reachable = &r
			// Said in the message too, for the table and SARIF, which do
			// not show the package fields.
			if r {
				f.Message += " (reachable: the module calls vulnerable code)"
			} else {
				f.Message += " (not reachable: the module calls no vulnerable code)"
			}
		}
	}
	return warnings
}

// reachableOf: an advisory govulncheck did not report has no reachable
// code (its version check or its symbols ruled it out).
func reachableOf(res *reach.Result, f *finding.Finding) bool {
	for _, id := range append([]string{f.RuleID}, f.Aliases...) {
		if res.Reachable[id] {
			return true
		}
	}
	return false
}

// moduleRecords gathers the Go records of every dependency the go.mod lists.
func moduleRecords(ctx context.Context, lookup RecordLookup, mod string, pkgs []Package) ([][]byte, error) {
	if lookup == nil {
		return nil, fmt.Errorf("no vulnerability records available")
	}
	var out [][]byte
	seen := map[string]bool{}
	for _, p := range pkgs {
		if p.Path != mod || p.Ecosystem != "Go" || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		recs, err := lookup(ctx, "Go", p.Name)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", p.Name, err)
		}
		out = append(out, recs...)
	}
	return out, nil
}
