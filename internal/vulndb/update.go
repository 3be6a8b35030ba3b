package vulndb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultBaseURL is the public OSV bucket; <base>/<Ecosystem>/all.zip is
// each ecosystem's archive.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// maxProblems bounds the problems kept in an UpdateResult (all are counted).
const maxProblems = 1000

// UpdateOptions configures Update.
type UpdateOptions struct {
	Dir        string   // database directory (default DefaultDir)
	BaseURL    string   // mirror of the OSV bucket (default DefaultBaseURL)
	Ecosystems []string // archives to download (default DefaultEcosystems)
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Size limits (defaults DefaultMaxArchiveSize, DefaultMaxEntrySize,
	// DefaultMaxTotalSize).
	MaxArchiveSize, MaxEntrySize, MaxTotalSize int64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, when set, is called as each archive starts.
	Progress func(ecosystem string, index, total int)
}

// ErrInvalidOptions wraps every UpdateOptions validation error.
var ErrInvalidOptions = errors.New("invalid update options")

// Ecosystem outcomes in an UpdateResult.
const (
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
)

// EcosystemResult is what an update did with one archive.
type EcosystemResult struct {
	Name   string
	Status string // StatusUpdated, StatusUnchanged or StatusFailed
	// Err says why an archive failed; the ecosystem keeps its previous data.
	Err error
	EcosystemMeta
}

// UpdateResult reports an update.
type UpdateResult struct {
	Ecosystems []EcosystemResult
	Problems   []Problem // the first maxProblems skipped entries
	// ProblemCount counts every skipped entry and range.
	ProblemCount int
	Meta         Meta
}

// ErrUpdateIncomplete is returned (joined with each cause) when some
// archives failed; the database was still written with the others.
var ErrUpdateIncomplete = errors.New("some ecosystems were not updated")

// Update downloads the archives and replaces the database atomically: a new
// file is built beside the old one and renamed over it, so readers and an
// interrupted update always see a whole database. An archive whose ETag,
// Last-Modified or content hash is unchanged is copied from the old
// database instead of being imported again. An archive that fails keeps its
// previous data; Update then returns ErrUpdateIncomplete with the result.
func Update(ctx context.Context, opts UpdateOptions) (UpdateResult, error) {
	var res UpdateResult
	o, err := opts.withDefaults()
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return res, fmt.Errorf("database directory: %w", err)
	}
	removeStaleTemps(o.Dir, o.Logger)
	u := &updater{o: o, res: &res}
	defer u.cleanup()
	if err := u.openOld(); err != nil {
		return res, err
	}
	var failures []error
	for i, eco := range o.Ecosystems {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if o.Progress != nil {
			o.Progress(eco, i, len(o.Ecosystems))
		}
		er, err := u.updateEcosystem(ctx, eco)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			er.Status, er.Err = StatusFailed, err
			failures = append(failures, fmt.Errorf("%s: %w", eco, err))
			o.Logger.Error("ecosystem not updated", "ecosystem", eco, "err", err)
		}
		res.Ecosystems = append(res.Ecosystems, er)
	}
	if err := u.commit(ctx); err != nil {
		return res, err
	}
	if len(failures) > 0 {
		return res, errors.Join(append([]error{ErrUpdateIncomplete}, failures...)...)
	}
	return res, nil
}

func (o UpdateOptions) withDefaults() (UpdateOptions, error) {
	if o.Dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return o, err
		}
		o.Dir = d
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("%w: database URL %q: want an http or https URL", ErrInvalidOptions, RedactURL(o.BaseURL))
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if len(o.Ecosystems) == 0 {
		o.Ecosystems = DefaultEcosystems
	}
	var ecos []string
	for _, e := range o.Ecosystems {
		e = NormalizeEcosystem(e)
		if e == "" || strings.ContainsAny(e, "/\\:") {
			return o, fmt.Errorf("%w: ecosystem %q: want an OSV ecosystem name such as Go or PyPI", ErrInvalidOptions, e)
		}
		if !slices.Contains(ecos, e) {
			ecos = append(ecos, e)
		}
	}
	o.Ecosystems = ecos
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxArchiveSize <= 0 {
		o.MaxArchiveSize = DefaultMaxArchiveSize
	}
	if o.MaxEntrySize <= 0 {
		o.MaxEntrySize = DefaultMaxEntrySize
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

const tempPattern = ".rampart-update-*"

// removeStaleTemps deletes what a killed update left behind. A day's wait
// keeps a concurrent update's files safe.
func removeStaleTemps(dir string, log *slog.Logger) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			if err := os.Remove(m); err == nil {
				log.Info("removed a stale temporary file", "path", m)
			}
		}
	}
}

type updater struct {
	o       UpdateOptions
	res     *UpdateResult
	old     *bolt.DB // nil without a usable old database
	oldMeta Meta
	next    *bolt.DB // the database being built; nil until an archive changed
	nextTmp string
	meta    map[string]EcosystemMeta // new per-ecosystem metadata
}

func (u *updater) openOld() error {
	u.meta = map[string]EcosystemMeta{}
	path := filepath.Join(u.o.Dir, fileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("open the current database: %w", err)
	}
	m, err := readMeta(db)
	if err != nil {
		// An unreadable or older-format database is rebuilt from scratch.
		u.o.Logger.Warn("rebuilding the database", "path", path, "reason", err)
		db.Close()
		return nil
	}
	u.old, u.oldMeta = db, m
	for _, e := range m.Ecosystems {
		u.meta[e.Name] = e
	}
	return nil
}

func (u *updater) cleanup() {
	if u.old != nil {
		u.old.Close()
	}
	if u.next != nil {
		u.next.Close()
	}
	if u.nextTmp != "" {
		os.Remove(u.nextTmp)
	}
}

func (u *updater) problem(p Problem) {
	u.res.ProblemCount++
	if len(u.res.Problems) < maxProblems {
		u.res.Problems = append(u.res.Problems, p)
		u.o.Logger.Warn("skipped", "ecosystem", p.Ecosystem, "file", p.File, "id", p.ID, "err", p.Err)
	}
}

func (u *updater) archiveURL(eco string) string {
	return u.o.BaseURL + "/" + url.PathEscape(eco) + "/all.zip"
}

// RedactURL hides a mirror's password in anything shown or stored.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// updateEcosystem downloads and imports one archive.
func (u *updater) updateEcosystem(ctx context.Context, eco string) (EcosystemResult, error) {
	er := EcosystemResult{Name: eco}
	prev, hadPrev := u.meta[eco]
	if u.old == nil {
		hadPrev = false
	}
	dl, err := u.download(ctx, eco, prev, hadPrev)
	if err != nil {
		er.EcosystemMeta = prev
		return er, err
	}
	defer dl.remove()
	now := u.o.Now().UTC()
	if dl.notModified || (hadPrev && dl.sha256 == prev.SHA256) {
		prev.Checked = now
		if dl.etag != "" {
			prev.ETag = dl.etag
		}
		if dl.lastModified != "" {
			prev.LastModified = dl.lastModified
		}
		u.meta[eco] = prev
		er.Status, er.EcosystemMeta = StatusUnchanged, prev
		u.o.Logger.Info("archive unchanged", "ecosystem", eco)
		return er, nil
	}
	if err := u.ensureNext(); err != nil {
		return er, err
	}
	im := newImporter(u.next, eco, u.o.MaxEntrySize, u.o.MaxTotalSize, u.problem)
	if err := im.importZip(ctx, dl.file, dl.size); err != nil {
		er.EcosystemMeta = prev
		// Drop what was written; the old data is copied at commit.
		if derr := u.next.Update(func(tx *bolt.Tx) error {
			if tx.Bucket(archiveBucket(eco)) == nil {
				return nil
			}
			return tx.DeleteBucket(archiveBucket(eco))
		}); derr != nil {
			return er, errors.Join(err, derr)
		}
		return er, err
	}
	m := EcosystemMeta{
		Name: eco, Records: im.stats.records, Packages: im.stats.packages,
		Withdrawn: im.stats.withdrawn, Skipped: im.stats.skipped,
		Imported: now, Checked: now, URL: RedactURL(u.archiveURL(eco)),
		ETag: dl.etag, LastModified: dl.lastModified, SHA256: dl.sha256,
	}
	u.meta[eco] = m
	er.Status, er.EcosystemMeta = StatusUpdated, m
	u.o.Logger.Info("archive imported", "ecosystem", eco, "records", m.Records, "skipped", m.Skipped)
	return er, nil
}

// ensureNext creates the new database file beside the old one.
func (u *updater) ensureNext() error {
	if u.next != nil {
		return nil
	}
	f, err := os.CreateTemp(u.o.Dir, tempPattern+".db")
	if err != nil {
		return fmt.Errorf("create the new database: %w", err)
	}
	u.nextTmp = f.Name()
	f.Close()
	// Durability comes from one Sync before the rename, not per commit.
	// A large initial map (address space, not memory) avoids remapping as
	// the file grows.
	db, err := bolt.Open(u.nextTmp, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true, Timeout: time.Second, InitialMmapSize: 1 << 30})
	if err != nil {
		return fmt.Errorf("create the new database: %w", err)
	}
	u.next = db
	return nil
}

// commit writes the new database and renames it into place, or, when no
// archive changed, records the check in the old one.
func (u *updater) commit(ctx context.Context) error {
	meta := Meta{Format: formatVersion, SourceURL: RedactURL(u.o.BaseURL), Updated: u.o.Now().UTC()}
	for _, e := range u.meta {
		meta.Ecosystems = append(meta.Ecosystems, e)
	}
	slices.SortFunc(meta.Ecosystems, func(a, b EcosystemMeta) int { return strings.Compare(a.Name, b.Name) })
	u.res.Meta = meta
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	confirmed := false
	for _, e := range u.res.Ecosystems {
		confirmed = confirmed || e.Status != StatusFailed
	}
	if !confirmed {
		return nil // every archive failed: leave any old database as it was
	}
	if u.next == nil {
		return u.touchOld(metaJSON)
	}
	// Carry over every archive that was not imported into the new file.
	for _, e := range meta.Ecosystems {
		if err := ctx.Err(); err != nil {
			return err
		}
		imported := false
		if err := u.next.View(func(tx *bolt.Tx) error {
			imported = tx.Bucket(archiveBucket(e.Name)) != nil
			return nil
		}); err != nil {
			return err
		}
		if imported || u.old == nil {
			continue
		}
		if err := copyArchive(u.next, u.old, e.Name); err != nil {
			return fmt.Errorf("carry over %s: %w", e.Name, err)
		}
	}
	if err := u.next.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyMeta, metaJSON)
	}); err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	if err := u.next.Sync(); err != nil {
		return fmt.Errorf("sync the new database: %w", err)
	}
	if err := u.next.Close(); err != nil {
		return fmt.Errorf("close the new database: %w", err)
	}
	u.next = nil
	if err := ctx.Err(); err != nil {
		return err
	}
	final := filepath.Join(u.o.Dir, fileName)
	if err := os.Rename(u.nextTmp, final); err != nil {
		return fmt.Errorf("replace the database: %w", err)
	}
	u.nextTmp = ""
	syncDir(u.o.Dir)
	return nil
}

// touchOld records a check that changed nothing. A bbolt commit is atomic,
// so the database stays whole if this is interrupted.
func (u *updater) touchOld(metaJSON []byte) error {
	u.old.Close()
	u.old = nil
	path := filepath.Join(u.o.Dir, fileName)
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("update metadata: %w", err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyMeta, metaJSON)
	}); err != nil {
		return fmt.Errorf("update metadata: %w", err)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every filesystem syncs directories
		d.Close()
	}
}

type download struct {
	file         *os.File
	size         int64
	sha256       string
	etag         string
	lastModified string
	notModified  bool
}

func (d *download) remove() {
	if d.file != nil {
		d.file.Close()
		os.Remove(d.file.Name())
	}
}

// download fetches an archive to a temporary file, conditionally on the
// validators of the previous import.
func (u *updater) download(ctx context.Context, eco string, prev EcosystemMeta, conditional bool) (*download, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.archiveURL(eco), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "rampart-vulndb")
	if conditional {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	src := RedactURL(req.URL.String())
	resp, err := u.o.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	d := &download{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		d.notModified = true
		return d, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	if resp.ContentLength > u.o.MaxArchiveSize {
		return nil, fmt.Errorf("GET %s: %d bytes, limit %d", src, resp.ContentLength, u.o.MaxArchiveSize)
	}
	f, err := os.CreateTemp(u.o.Dir, tempPattern+".zip")
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	d.file = f
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, u.o.MaxArchiveSize+1))
	if err != nil {
		d.remove()
		return nil, fmt.Errorf("GET %s: %w", src, err)
	}
	if n > u.o.MaxArchiveSize {
		d.remove()
		return nil, fmt.Errorf("GET %s: more than %d bytes", src, u.o.MaxArchiveSize)
	}
	d.size, d.sha256 = n, hex.EncodeToString(h.Sum(nil))
	return d, nil
}
