// Package secret finds leaked credentials in files and in git history with
// gitleaks' detector and rules (its 200+ default rules, or a user's gitleaks
// TOML that may extend them), and turns gitleaks' findings into Rampart
// findings whose secret value is redacted.
package secret

//lint:file-ignore SA1019 detect.Fragment is gitleaks v8's detector API; sources.Fragment replaces it only in v9.

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync/atomic"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/scan"
)

// maxDecodeDepth is how many rounds of base64/hex/percent decoding gitleaks
// applies to find encoded secrets; 5 is the gitleaks CLI's default.
const maxDecodeDepth = 5

// binarySniff is how far into a file a NUL byte marks it as binary (git
// uses the same 8000 bytes).
const binarySniff = 8000

// Options configures a Scanner.
type Options struct {
	// ConfigPath is a gitleaks TOML rules file (--secret-config); empty
	// means gitleaks' default rules.
	ConfigPath string
	Logger     *slog.Logger
	// MaxFileSize bounds a file or a history fragment; 0 means
	// scan.DefaultMaxFileSize.
	MaxFileSize int64
	// MaxHistoryBytes bounds the git log output of ScanHistory; 0 means
	// DefaultMaxHistoryBytes.
	MaxHistoryBytes int64
}

// Scanner is the secret analyzer. It is safe for concurrent use: gitleaks'
// Detector.DetectContext (v8.30.1) only reads the compiled config and the
// keyword trie and keeps per-call state on the stack; the one field it
// writes, TotalBytes, is atomic. Its stateful parts (AddFinding, the
// .gitleaksignore map, the baseline) are not used here.
type Scanner struct {
	det *detect.Detector
	// fast gives det's whole-file findings at a fraction of the regex work.
	fast    *fastPath
	log     *slog.Logger
	maxSize int64
	// maxHistory bounds ScanHistory's git log output.
	maxHistory int64
	// ignore holds the .gitleaksignore fingerprints of the current target,
	// set by Prepare before any file is analyzed.
	ignore atomic.Pointer[ignoreSet]
}

var (
	_ scan.Analyzer = (*Scanner)(nil)
	_ scan.Preparer = (*Scanner)(nil)
)

// New loads the rules and builds the detector once.
func New(ctx context.Context, opts Options) (*Scanner, error) {
	var (
		cfg config.Config
		err error
	)
	if opts.ConfigPath == "" {
		cfg, err = defaultConfig()
	} else {
		cfg, err = loadConfig(opts.ConfigPath)
	}
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = scan.DefaultMaxFileSize
	}
	det := detect.NewDetectorContext(ctx, cfg)
	det.MaxDecodeDepth = maxDecodeDepth
	opts.Logger.Debug("secret rules loaded", "rules", len(cfg.Rules), "keywords", len(cfg.Keywords), "config", opts.ConfigPath)
	return &Scanner{det: det, fast: newFastPath(ctx, cfg, det), log: opts.Logger, maxSize: opts.MaxFileSize, maxHistory: opts.MaxHistoryBytes}, nil
}

// Name identifies the analyzer.
func (s *Scanner) Name() string { return "secret" }

// skipExt are file types that cannot hold a readable secret, or that hold
// only hashes: they are not even read. Everything else is sniffed for NUL
// bytes in Analyze, and gitleaks' own path allowlist applies on top.
var skipExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true, ".tif": true, ".tiff": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true, ".tar": true, ".jar": true, ".war": true,
	".exe": true, ".dll": true, ".so": true, ".dylib": true, ".a": true, ".o": true, ".class": true, ".pyc": true, ".wasm": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".ogg": true, ".webm": true,
	".pdf": true, ".psd": true,
}

// skipName are lockfiles and checksum files: long hex and base64 digests
// that trip entropy rules and never hold credentials.
var skipName = map[string]bool{
	"go.sum": true, "go.work.sum": true, "package-lock.json": true, "npm-shrinkwrap.json": true, "yarn.lock": true,
	"pnpm-lock.yaml": true, "deno.lock": true, "Cargo.lock": true, "Gemfile.lock": true, "composer.lock": true,
	"poetry.lock": true, "Pipfile.lock": true, "uv.lock": true, "packages.lock.json": true, "gradle.lockfile": true,
	"mix.lock": true, "pubspec.lock": true, "Podfile.lock": true, "flake.lock": true, ".terraform.lock.hcl": true,
	".gitleaksignore": true,
}

// Match claims every file but binaries and lockfiles.
func (s *Scanner) Match(p string, d fs.DirEntry) bool {
	name := path.Base(p)
	if d != nil {
		name = d.Name()
	}
	return !skipName[name] && !skipExt[strings.ToLower(path.Ext(name))]
}

// Prepare loads the target's .gitleaksignore, if it has one at its root.
func (s *Scanner) Prepare(ctx context.Context, t scan.Target, files []scan.File) ([]string, error) {
	s.ignore.Store(nil)
	for _, f := range files {
		if f.Path != gitleaksIgnoreName {
			continue
		}
		b, err := f.Read()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		set, problems := parseGitleaksIgnore(b)
		for _, p := range problems {
			s.log.Warn("ignored .gitleaksignore entry", "path", f.Path, "line", p.Line, "reason", p.Reason)
		}
		s.ignore.Store(set)
	}
	return nil, nil
}

// Analyze scans one file.
func (s *Scanner) Analyze(ctx context.Context, f scan.File) ([]finding.Finding, error) {
	if f.Size > s.maxSize {
		return nil, fmt.Errorf("%s: %w", f.Path, scan.ErrTooLarge)
	}
	b, err := f.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	if int64(len(b)) > s.maxSize {
		return nil, fmt.Errorf("%s: %w", f.Path, scan.ErrTooLarge)
	}
	if bytes.IndexByte(b[:min(len(b), binarySniff)], 0) >= 0 {
		return nil, nil
	}
	gfs := s.fast.detect(ctx, string(b), f.Path)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.convert(gfs, s.ignore.Load()), nil
}

// convert turns gitleaks findings into Rampart findings. Nothing of
// gitleaks' Line, Match or Secret survives but a redacted prefix.
func (s *Scanner) convert(gfs []report.Finding, ign *ignoreSet) []finding.Finding {
	if len(gfs) == 0 {
		return nil
	}
	out := make([]finding.Finding, 0, len(gfs))
	for i := range gfs {
		out = append(out, toFinding(&gfs[i], ign))
	}
	return out
}

// remediation is the same for every secret: the value has been exposed to
// everyone who can read the repository, so removing it is not enough.
const remediation = "Treat the credential as compromised: revoke or rotate it at its issuer first, " +
	"then remove it from the code and from git history (git filter-repo or BFG, then force-push and have clones re-cloned), " +
	"and load it at run time from a secret store or the environment instead."

func toFinding(g *report.Finding, ign *ignoreSet) finding.Finding {
	red := Redact(g.Secret)
	var msg string
	if g.Secret == "" {
		// A path-only rule (pkcs12-file): the file itself is the secret.
		msg = "file matches secret rule " + g.RuleID
	} else {
		msg = fmt.Sprintf("%s secret found: %s", g.RuleID, red)
	}
	if g.Commit != "" {
		// The table shows only the message; say where in history it is.
		msg += fmt.Sprintf(" (commit %.12s, %s)", g.Commit, g.Author)
	}
	f := finding.Finding{
		RuleID:      g.RuleID,
		Kind:        finding.KindSecret,
		Severity:    Severity(g.RuleID),
		Layer:       finding.LayerCode,
		Title:       "Secret: " + g.RuleID,
		Message:     msg,
		Description: g.Description,
		Remediation: remediation,
		Controls:    []string{"cwe:798"},
		Location:    finding.Location{Path: g.File, StartLine: g.StartLine, EndLine: g.EndLine},
		Secret: &finding.Secret{
			Match:  red,
			Commit: g.Commit,
			Author: g.Author,
			Email:  g.Email,
			Date:   g.Date,
		},
	}
	// Fail closed: rule texts come from a user's config and could quote
	// the very value they match.
	for _, raw := range []string{g.Secret, g.Match} {
		if len(raw) < 4 {
			continue
		}
		f.Title = strings.ReplaceAll(f.Title, raw, red)
		f.Message = strings.ReplaceAll(f.Message, raw, red)
		f.Description = strings.ReplaceAll(f.Description, raw, red)
	}
	if ign.has(g.Commit, g.File, g.RuleID, g.StartLine) {
		f.Suppressed = true
		f.Suppression = &finding.Suppression{Source: gitleaksIgnoreName, Reason: "gitleaks fingerprint"}
	}
	f.SetFingerprint()
	return f
}

// maxPrefix is the most of a secret any output shows.
const maxPrefix = 4

// Redact keeps at most four leading characters of a secret, and fewer for
// a short one (a quarter of its length), so that the prefix identifies the
// kind of credential (AKIA, ghp_, ----) without narrowing a guess. The mask
// has a fixed length so it does not reveal the secret's length either.
func Redact(secret string) string {
	n := min(maxPrefix, len(secret)/4)
	// Cut on a rune boundary.
	for n > 0 && n < len(secret) && !utf8RuneStart(secret[n]) {
		n--
	}
	return strings.Clone(secret[:n]) + "*****"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Severity is high for every secret, and critical for private keys and for
// the keys of the three big cloud providers, which open whole accounts:
// rule ids starting aws-, gcp- or azure-, and private-key, pkcs12-file and
// age-secret-key.
func Severity(ruleID string) finding.Severity {
	switch {
	case strings.HasPrefix(ruleID, "aws-"), strings.HasPrefix(ruleID, "gcp-"), strings.HasPrefix(ruleID, "azure-"):
		return finding.SeverityCritical
	case ruleID == "private-key", ruleID == "pkcs12-file", ruleID == "age-secret-key":
		return finding.SeverityCritical
	}
	return finding.SeverityHigh
}
