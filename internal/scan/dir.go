package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/internal/boundedio"
)

// DefaultMaxFileSize is the largest file a scan reads (--max-file-size).
// Larger files are reported as errors and skipped: configuration files are
// small, and reading a stray multi-gigabyte dump would stall the scan.
const DefaultMaxFileSize = 10 << 20

// DefaultSkipDirs are never descended into.
var DefaultSkipDirs = []string{".git", "node_modules", "vendor", ".terraform", ".hg", ".svn"}

// DirOptions configures a directory target.
type DirOptions struct {
	// SkipDirs are directory names or slash paths (relative to the root) to
	// skip, in addition to DefaultSkipDirs. Globs are allowed.
	SkipDirs []string
	// SkipFiles are file names or relative paths (globs allowed) to skip.
	SkipFiles   []string
	MaxFileSize int64
	Logger      *slog.Logger
}

// Dir is a filesystem directory (or a single file) as a scan target.
type Dir struct {
	root   string // as given by the user
	base   string // the directory walked
	single string // set when the target is one file
	fsys   fs.FS
	opts   DirOptions
	// Problems collects files that could not be read; the runner reports
	// them as error findings.
	problems []Problem
}

// Problem is a file the walk could not read.
type Problem struct {
	Path string
	Err  error
}

// NewDir opens a directory or file target.
func NewDir(root string, opts DirOptions) (*Dir, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("open target: %w", err)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dir{root: root, base: root, opts: opts}
	if !info.IsDir() {
		d.base, d.single = filepath.Dir(root), filepath.Base(root)
	}
	d.fsys = os.DirFS(d.base)
	return d, nil
}

// Root is the path the user gave.
func (d *Dir) Root() string { return d.root }

// FS is the directory (for a single file, its parent).
func (d *Dir) FS() fs.FS { return d.fsys }

// Close releases nothing for a directory; archives and images will.
func (d *Dir) Close() error { return nil }

// Problems returns files that could not be read during the last walk.
func (d *Dir) Problems() []Problem { return d.problems }

// Walk visits regular files, skipping configured directories and files. It
// does not follow symbolic links to directories, so link loops cannot trap
// it; a link to a regular file inside the root is read like the file.
func (d *Dir) Walk(ctx context.Context, fn WalkFunc) error {
	d.problems = nil
	start := "."
	if d.single != "" {
		start = d.single
	}
	return fs.WalkDir(d.fsys, start, func(p string, de fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			d.problems = append(d.problems, Problem{Path: p, Err: err})
			if de != nil && de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if de.IsDir() {
			if p != "." && d.skipDir(p, de.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if d.skipFile(p, de.Name()) {
			return nil
		}
		info, err := d.fileInfo(p, de)
		if err != nil {
			d.problems = append(d.problems, Problem{Path: p, Err: err})
			return nil
		}
		if info == nil { // a link to a directory or device: not followed
			return nil
		}
		rel := p
		if d.single != "" {
			rel = d.single
		}
		size := info.Size()
		f := File{
			Path: rel, Size: size,
			read: func() ([]byte, error) { return d.read(p, size) },
			head: func(n int) ([]byte, error) { return d.head(p, n) },
		}
		return fn(f)
	})
}

// fileInfo resolves symlinks to regular files that stay inside the root.
func (d *Dir) fileInfo(p string, de fs.DirEntry) (fs.FileInfo, error) {
	if de.Type()&fs.ModeSymlink == 0 {
		if !de.Type().IsRegular() {
			return nil, nil
		}
		return de.Info()
	}
	full := filepath.Join(d.base, filepath.FromSlash(p))
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		return nil, fmt.Errorf("resolve symbolic link: %w", err)
	}
	absBase, err := filepath.Abs(d.base)
	if err != nil {
		return nil, err
	}
	absBase, err = filepath.EvalSymlinks(absBase)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(absBase, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("symbolic link points outside the scan root (%s): not followed", target)
	}
	info, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil
	}
	return info, nil
}

func (d *Dir) read(p string, size int64) ([]byte, error) {
	if size > d.opts.MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes is over the %d byte limit (--max-file-size)", ErrTooLarge, size, d.opts.MaxFileSize)
	}
	f, err := d.fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The size may have grown since the walk; never read past the limit.
	b, err := boundedio.ReadAll(f, d.opts.MaxFileSize)
	if errors.Is(err, boundedio.ErrTooLarge) {
		return nil, fmt.Errorf("%w: over the %d byte limit (--max-file-size)", ErrTooLarge, d.opts.MaxFileSize)
	}
	return b, err
}

func (d *Dir) head(p string, n int) ([]byte, error) {
	f, err := d.fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(n)))
}

func (d *Dir) skipDir(p, name string) bool {
	if slices.Contains(DefaultSkipDirs, name) {
		return true
	}
	return matchAny(d.opts.SkipDirs, p, name)
}

func (d *Dir) skipFile(p, name string) bool { return matchAny(d.opts.SkipFiles, p, name) }

// matchAny matches a pattern against the base name and the relative path.
func matchAny(patterns []string, p, name string) bool {
	for _, pat := range patterns {
		pat = strings.TrimSuffix(filepath.ToSlash(pat), "/")
		if pat == p || pat == name {
			return true
		}
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// LocalDir is the directory on disk that the target walks; tools that need
// real paths (kustomize) use it.
func (d *Dir) LocalDir() string { return d.base }
