// Package scan walks scan targets and runs analyzers over their files. The
// scanners (config, and later deps, secrets, images) are analyzers plugged
// into one Runner.
package scan

import (
	"context"
	"errors"
	"io/fs"

	"github.com/rampart-sec/rampart/internal/finding"
)

// ErrTooLarge marks a file skipped because it is over the size limit.
var ErrTooLarge = errors.New("file too large")

// File is one file of a target, read lazily.
type File struct {
	// Path is relative to the target root, with forward slashes.
	Path string
	// Size in bytes.
	Size int64
	read func() ([]byte, error)
	head func(n int) ([]byte, error)
}

// NewFile makes a File from a reader function (for tests and in-memory targets).
func NewFile(path string, size int64, read func() ([]byte, error)) File {
	return File{Path: path, Size: size, read: read}
}

// Read returns the file's contents.
func (f File) Read() ([]byte, error) { return f.read() }

// Head returns at most the first n bytes, whatever the file's size: enough
// to recognise a file by content without reading a large one whole.
func (f File) Head(n int) ([]byte, error) {
	if f.head != nil {
		return f.head(n)
	}
	b, err := f.read()
	if len(b) > n {
		b = b[:n]
	}
	return b, err
}

// WalkFunc is called for every regular file of a target. Returning an error
// stops the walk.
type WalkFunc func(f File) error

// Target yields files: a directory, an archive, an image's filesystem.
type Target interface {
	// Root names the target in reports.
	Root() string
	// FS gives direct access for analyzers that need a whole directory
	// (Helm charts, kustomizations).
	FS() fs.FS
	Walk(ctx context.Context, fn WalkFunc) error
	Close() error
}

// Analyzer claims files and turns them into findings.
type Analyzer interface {
	Name() string
	Match(path string, d fs.DirEntry) bool
	Analyze(ctx context.Context, f File) ([]finding.Finding, error)
}

// Preparer is implemented by analyzers that must see the whole file list
// before any file is analyzed, such as Helm and Kustomize, which consume whole
// directories. The paths it returns are claimed: no other analyzer sees them.
type Preparer interface {
	Prepare(ctx context.Context, t Target, files []File) (claimed []string, err error)
}

// Finisher is implemented by analyzers that report once every file has been
// seen, for checks across files (a namespace without a NetworkPolicy).
type Finisher interface {
	Finish(ctx context.Context) ([]finding.Finding, error)
}
