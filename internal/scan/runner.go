package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"runtime"
	"sync"

	"github.com/rampart-sec/rampart/internal/finding"
)

// LineError is implemented by parse errors that know where they happened.
type LineError interface {
	error
	Line() int
}

// Runner walks a target once and hands every file to the analyzers that
// match it, in parallel.
type Runner struct {
	Analyzers []Analyzer
	// Workers bounds concurrent Analyze calls; 0 means GOMAXPROCS.
	Workers int
	Logger  *slog.Logger
	// Progress, when set, is called after each file with the number of
	// files analyzed and the total. It must be cheap and safe for
	// concurrent use.
	Progress func(done, total int)
}

// Run scans a target. A file that cannot be read or parsed becomes a finding
// of kind error and the scan goes on; only a failure of the scan itself (a
// cancelled context, an unreadable root) returns an error.
func (r *Runner) Run(ctx context.Context, t Target) ([]finding.Finding, error) {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var files []File
	if err := t.Walk(ctx, func(f File) error { files = append(files, f); return nil }); err != nil {
		return nil, fmt.Errorf("walk %s: %w", t.Root(), err)
	}
	var out []finding.Finding
	if d, ok := t.(*Dir); ok {
		for _, p := range d.Problems() {
			out = append(out, ErrorFinding(p.Path, p.Err))
		}
	}

	claimedBy := map[string]Analyzer{}
	for _, a := range r.Analyzers {
		p, ok := a.(Preparer)
		if !ok {
			continue
		}
		claimed, err := p.Prepare(ctx, t, files)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name(), err)
		}
		for _, c := range claimed {
			if _, taken := claimedBy[c]; !taken {
				claimedBy[c] = a
			}
		}
	}

	type job struct {
		a Analyzer
		f File
	}
	var queue []job
	for _, f := range files {
		entry := fileEntry{name: path.Base(f.Path), size: f.Size}
		for _, a := range r.Analyzers {
			if owner, ok := claimedBy[f.Path]; ok && owner != a {
				continue
			}
			if a.Match(f.Path, entry) {
				queue = append(queue, job{a, f})
			}
		}
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Each worker keeps its own findings: appending every file's findings
	// to one shared slice copied them under the lock while the other
	// workers waited.
	perWorker := make([][]finding.Finding, workers)
	for w := range workers {
		wg.Go(func() {
			var mine []finding.Finding
			for j := range jobs {
				fs, err := analyze(ctx, j.a, j.f)
				if err != nil {
					log.Debug("analyze failed", "analyzer", j.a.Name(), "path", j.f.Path, "err", err)
					fs = append(fs, ErrorFinding(j.f.Path, err))
				}
				mine = append(mine, fs...)
				mu.Lock()
				done++
				if r.Progress != nil {
					r.Progress(done, len(queue))
				}
				mu.Unlock()
			}
			perWorker[w] = mine
		})
	}
	var err error
feed:
	for _, j := range queue {
		select {
		case jobs <- j:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	for _, fs := range perWorker {
		out = append(out, fs...)
	}
	for _, a := range r.Analyzers {
		fin, ok := a.(Finisher)
		if !ok {
			continue
		}
		fs, err := fin.Finish(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name(), err)
		}
		out = append(out, fs...)
	}
	return out, nil
}

// analyze runs one analyzer on one file and turns a panic into an error:
// one hostile file must not take down the scan.
func analyze(ctx context.Context, a Analyzer, f File) (fs []finding.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: internal error: %v", a.Name(), p)
		}
	}()
	return a.Analyze(ctx, f)
}

// ErrorFinding reports a file that could not be read, parsed or rendered.
func ErrorFinding(p string, err error) finding.Finding {
	f := finding.Finding{
		RuleID:   "parse-error",
		Kind:     finding.KindError,
		Severity: finding.SeverityUnknown,
		Title:    "File could not be scanned",
		Message:  err.Error(),
		Controls: []string{},
		Location: finding.Location{Path: p},
	}
	var le LineError
	if errors.As(err, &le) {
		f.Location.StartLine, f.Location.EndLine = le.Line(), le.Line()
	}
	if errors.Is(err, ErrTooLarge) {
		f.RuleID, f.Title = "file-too-large", "File skipped: over the size limit"
	}
	f.SetFingerprint()
	return f
}

// fileEntry is the fs.DirEntry handed to Match.
type fileEntry struct {
	name string
	size int64
}

func (e fileEntry) Name() string               { return e.name }
func (e fileEntry) IsDir() bool                { return false }
func (e fileEntry) Type() fs.FileMode          { return 0 }
func (e fileEntry) Info() (fs.FileInfo, error) { return nil, errors.New("no file info") }
