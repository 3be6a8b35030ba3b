package secret

//lint:file-ignore SA1019 detect.Fragment is gitleaks v8's detector API; sources.Fragment replaces it only in v9.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/rampart-sec/rampart/internal/finding"
)

// DefaultMaxHistoryBytes bounds the `git log -p` output one history scan
// reads: a repository whose whole history of additions is larger is
// scanned up to the limit and reported as truncated.
const DefaultMaxHistoryBytes = 4 << 30

// ErrHistoryTruncated is returned, with the findings made so far, when a
// history is larger than the limit.
var ErrHistoryTruncated = errors.New("git history larger than the limit; scanned only the newest commits")

// ErrNotRepository is returned when the history scan's path is not a git
// repository.
var ErrNotRepository = errors.New("not a git repository")

// gitLogArgs asks for every added line of every commit on every ref, in a
// shape go-gitdiff parses whatever the user's git config says. gitleaks'
// sources.NewGitLogCmd runs nearly the same command, but it does not bound
// its output, does not turn off textconv (git log runs a repository's
// textconv filters by default, i.e. commands named in its .git/config) and
// parses the user's pretty/date/prefix settings as they are, so the command
// is run here and only the patch parser (go-gitdiff, as gitleaks does) and
// the detector are shared.
var gitLogArgs = []string{
	"-c", "core.quotePath=false", "-c", "log.showSignature=false",
	"log", "-p", "-U0", "--full-history", "--all", "--diff-filter=tuxdb",
	"--no-color", "--no-textconv", "--no-ext-diff", "--no-decorate",
	"--pretty=fuller", "--date=iso-strict", "--src-prefix=a/", "--dst-prefix=b/",
}

// ScanHistory scans every commit of the repository at repoDir (all refs),
// reporting each secret with the commit that added it, its author and date.
// A .gitleaksignore at the repository root applies (both fingerprint
// forms). Findings made before an error are returned with it.
func (s *Scanner) ScanHistory(ctx context.Context, repoDir string) ([]finding.Finding, error) {
	root, err := checkRepo(ctx, repoDir)
	if err != nil {
		return nil, err
	}
	ign, err := s.loadIgnoreFile(filepath.Join(root, gitleaksIgnoreName))
	if err != nil {
		return nil, err
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, gitLogArgs...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat", "GIT_OPTIONAL_LOCKS=0")
	var stderr boundedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git log %s: %w", root, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git log %s: %w", root, err)
	}
	limit := s.maxHistory
	if limit <= 0 {
		limit = DefaultMaxHistoryBytes
	}
	lr := &eofLimitReader{r: stdout, n: limit}
	files, perr := gitdiff.Parse(lr)

	type job struct {
		frag detect.Fragment
	}
	jobs := make(chan job)
	var (
		mu     sync.Mutex
		out    []finding.Finding
		jobErr error
		wg     sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				fs, err := s.detectFragment(ctx, j.frag, ign)
				mu.Lock()
				out = append(out, fs...)
				if err != nil && jobErr == nil {
					jobErr = err
				}
				mu.Unlock()
			}
		})
	}
	commits := map[string]*sources.CommitInfo{}
	for f := range files {
		if ctx.Err() != nil {
			continue // drain, so go-gitdiff's goroutine ends
		}
		if f.IsDelete || f.IsBinary || f.PatchHeader == nil || !s.Match(f.NewName, nil) {
			continue
		}
		ci := commitInfo(commits, f.PatchHeader)
		for _, tf := range f.TextFragments {
			if tf == nil {
				continue
			}
			raw := tf.Raw(gitdiff.OpAdd)
			if raw == "" {
				continue
			}
			if int64(len(raw)) > s.maxSize {
				s.log.Warn("history fragment over the size limit skipped", "commit", ci.SHA, "path", f.NewName, "bytes", len(raw))
				continue
			}
			frag := detect.Fragment{Raw: raw, FilePath: f.NewName, StartLine: int(tf.NewPosition), CommitSHA: ci.SHA, CommitInfo: ci}
			select {
			case jobs <- job{frag}:
			case <-ctx.Done():
			}
		}
	}
	close(jobs)
	wg.Wait()
	if lr.exceeded {
		cancel() // git is still writing the rest; stop it
	}
	werr := cmd.Wait()
	s.log.Debug("history scanned", "repo", root, "commits", len(commits), "bytes", limit-lr.n, "findings", len(out))
	switch {
	case parent.Err() != nil:
		return out, parent.Err()
	case perr != nil:
		return out, fmt.Errorf("parse git log of %s: %w", root, perr)
	case lr.exceeded:
		return out, fmt.Errorf("%s: %w (%d bytes)", root, ErrHistoryTruncated, limit)
	case jobErr != nil:
		return out, jobErr
	case lr.err != nil:
		return out, fmt.Errorf("read git log of %s: %w", root, lr.err)
	case werr != nil:
		return out, fmt.Errorf("git log %s: %w: %s", root, werr, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// detectFragment runs the detector on one hunk; a panic inside gitleaks
// becomes an error naming the commit and file rather than ending the
// process (these goroutines are not covered by the runner's recover).
func (s *Scanner) detectFragment(ctx context.Context, frag detect.Fragment, ign *ignoreSet) (fs []finding.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("secret detector failed on %s in commit %s: %v", frag.FilePath, frag.CommitSHA, p)
		}
	}()
	return s.convert(s.det.DetectContext(ctx, frag), ign), nil
}

// commitInfo converts go-gitdiff's header once per commit.
func commitInfo(seen map[string]*sources.CommitInfo, h *gitdiff.PatchHeader) *sources.CommitInfo {
	if ci, ok := seen[h.SHA]; ok {
		return ci
	}
	// A RemoteInfo is required (gitleaks dereferences it to build links);
	// its zero Platform, UnknownPlatform, turns links off.
	ci := &sources.CommitInfo{SHA: h.SHA, Remote: &sources.RemoteInfo{}}
	if !h.AuthorDate.IsZero() {
		ci.Date = h.AuthorDate.UTC().Format(time.RFC3339)
	}
	if h.Author != nil {
		ci.AuthorName, ci.AuthorEmail = h.Author.Name, h.Author.Email
	}
	seen[h.SHA] = ci
	return ci
}

// checkRepo resolves repoDir and makes sure git sees a repository there.
func checkRepo(ctx context.Context, repoDir string) (string, error) {
	if repoDir == "" {
		return "", fmt.Errorf("git history: empty repository path")
	}
	root, err := filepath.Abs(repoDir)
	if err != nil {
		return "", fmt.Errorf("git history %s: %w", repoDir, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("git history: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("git history %s: not a directory", repoDir)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--git-dir")
	var stderr boundedBuffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git history %s: %w: %s", repoDir, ErrNotRepository, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("git history %s: %w", repoDir, err)
	}
	return root, nil
}

// loadIgnoreFile reads a .gitleaksignore if there is one.
func (s *Scanner) loadIgnoreFile(p string) (*ignoreSet, error) {
	b, err := readBounded(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, problems := parseGitleaksIgnore(b)
	for _, pr := range problems {
		s.log.Warn("ignored .gitleaksignore entry", "path", p, "line", pr.Line, "reason", pr.Reason)
	}
	return set, nil
}

// eofLimitReader ends the stream after n bytes. It reports io.EOF rather
// than an error because go-gitdiff's parser retries on any other read
// error, which would spin forever on a persistent one.
type eofLimitReader struct {
	r        io.Reader
	n        int64
	exceeded bool
	err      error // a read error other than EOF, reported after the parse
}

func (l *eofLimitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.exceeded = true
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil && err != io.EOF {
		l.err, err = err, io.EOF
	}
	return n, err
}

// boundedBuffer keeps the first 4 KiB of git's stderr for error messages.
type boundedBuffer struct{ bytes.Buffer }

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
