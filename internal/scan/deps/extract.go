// Package deps finds the packages a source tree depends on (lockfiles,
// manifests, Go binaries) with osv-scalibr's extractors, run file by file on
// Rampart's own walker, and turns the advisories that affect them into
// vulnerability findings.
package deps

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dart/pubspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradlelockfile"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/pomxml"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

// Package is one dependency found in one file.
type Package struct {
	Name      string
	Version   string
	Ecosystem string // OSV ecosystem: Go, npm, PyPI, crates.io ...
	PURL      string
	// Path of the lockfile, manifest or binary, relative to the scan root.
	Path string
	Line int
	// Relationship is "direct", "transitive" or empty when the file does not say.
	Relationship string
	// Extractor names the osv-scalibr plugin that found it.
	Extractor string
}

// constructor builds one osv-scalibr extractor.
type constructor func(*cpb.PluginConfig) (filesystem.Extractor, error)

// extractors is the explicit list of lockfile and manifest formats Rampart
// reads; no blank-import registry.
var extractors = []constructor{
	gomod.New, gobinary.New,
	packagelockjson.New, yarnlock.New, pnpmlock.New,
	requirements.New, poetrylock.New, pipfilelock.New, uvlock.New,
	cargolock.New, gemfilelock.New, composerlock.New,
	pomxml.New, gradlelockfile.New, packageslockjson.New, pubspec.New,
}

// Extractor is a scan.Analyzer that collects the packages of every
// lockfile, manifest and Go binary it is given. It reports nothing itself
// except files it cannot parse; Packages returns what it found.
type Extractor struct {
	root string
	fsys scalibrfs.FS
	exts []filesystem.Extractor
	log  *slog.Logger

	mu   sync.Mutex
	pkgs []Package
}

var _ scan.Analyzer = (*Extractor)(nil)

// NewExtractor builds the extractors for a directory root. maxFileSize
// bounds what the extractors will read (the walker bounds it too).
func NewExtractor(root string, maxFileSize int64, log *slog.Logger) (*Extractor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := root
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		base = filepath.Dir(root)
	}
	cfg := &cpb.PluginConfig{MaxFileSizeBytes: maxFileSize}
	e := &Extractor{root: base, fsys: scalibrfs.DirFS(base), log: log}
	for _, c := range extractors {
		x, err := c(cfg)
		if err != nil {
			return nil, fmt.Errorf("build extractor: %w", err)
		}
		e.exts = append(e.exts, x)
	}
	return e, nil
}

// Name implements scan.Analyzer.
func (e *Extractor) Name() string { return "deps" }

// Match implements scan.Analyzer: a file some extractor wants.
func (e *Extractor) Match(path string, _ fs.DirEntry) bool {
	api := fileAPI{fsys: e.fsys, path: path}
	for _, x := range e.exts {
		if x.FileRequired(api) {
			return true
		}
	}
	return false
}

// Analyze implements scan.Analyzer. A file that fails to parse is an error
// finding (through the runner); the packages of the others are kept.
func (e *Extractor) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	src, err := f.Read()
	if err != nil {
		return nil, err
	}
	api := fileAPI{fsys: e.fsys, path: f.Path}
	info, err := api.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	var found []Package
	for _, x := range e.exts {
		if !x.FileRequired(api) {
			continue
		}
		inv, err := x.Extract(ctx, &filesystem.ScanInput{
			FS: e.fsys, Path: f.Path, Root: e.root, Info: info, Reader: bytes.NewReader(src),
		})
		if err != nil {
			return nil, located(src, fmt.Errorf("%s: %w", x.Name(), err))
		}
		rel := relationships(f.Path, src)
		idx := newLineIndex(src)
		for _, p := range inv.Packages {
			if skipPackage(p, x.Name()) {
				continue
			}
			found = append(found, convert(p, f.Path, x.Name(), rel, idx))
		}
	}
	e.mu.Lock()
	e.pkgs = append(e.pkgs, found...)
	e.mu.Unlock()
	return nil, nil
}

// Packages returns every package found so far, in a stable order.
func (e *Extractor) Packages() []Package {
	e.mu.Lock()
	out := append([]Package(nil), e.pkgs...)
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	return out
}

// skipPackage drops entries whose version is not what gets installed: the
// go directive of go.mod is a minimum language version, not the toolchain
// that builds the code (a Go binary's build info does name the toolchain and
// is kept), and a requirements line such as jinja2>=3.0 gives a lower bound.
func skipPackage(p *extractor.Package, plugin string) bool {
	if plugin == gomod.Name && p.Name == "stdlib" {
		return true
	}
	if m, ok := p.Metadata.(*requirements.Metadata); ok {
		return m.VersionComparator != "==" && m.VersionComparator != "==="
	}
	return false
}

func convert(p *extractor.Package, path, plugin string, rel map[string]string, idx *lineIndex) Package {
	out := Package{
		Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem().String(),
		Path: path, Extractor: plugin,
	}
	// osv-scalibr names a Go binary's toolchain "go"; the Go vulnerability
	// database files the standard library under "stdlib".
	if plugin == gobinary.Name && p.Name == "go" {
		out.Name = "stdlib"
		out.PURL = "pkg:golang/stdlib@" + p.Version
	} else if pu := p.PURL(); pu != nil {
		out.PURL = pu.String()
	}
	if d := p.Location.Descriptor; d != nil && d.File != nil {
		out.Line = d.File.LineNumber
	}
	if out.Line == 0 && idx != nil {
		out.Line = idx.find(p.Name, p.Version)
	}
	if rel != nil {
		if r, ok := rel[p.Name]; ok {
			out.Relationship = r
		} else if rel[relAllKey] != "" {
			out.Relationship = rel[relAllKey]
		}
	}
	if out.Ecosystem == "" {
		out.Ecosystem = strings.ToLower(p.PURLType)
	}
	return out
}

// fileAPI is what osv-scalibr's FileRequired needs: the path and a stat.
type fileAPI struct {
	fsys scalibrfs.FS
	path string
}

func (a fileAPI) Path() string               { return a.path }
func (a fileAPI) Stat() (fs.FileInfo, error) { return fs.Stat(a.fsys, a.path) }
