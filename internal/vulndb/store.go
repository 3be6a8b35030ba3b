package vulndb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/rampart-sec/rampart/internal/finding"
)

// The store is one bbolt file, dir/rampart.db. bbolt was chosen because a
// lookup is a B+tree walk in a memory-mapped file (no full read, no
// server), a transaction sees one consistent version, and a single file
// can be built aside and renamed over the old one atomically.
//
// Layout:
//
//	meta                     "meta" → JSON Meta
//	archive:<Ecosystem>      one bucket per downloaded all.zip
//	    rec                  record id → the record's original JSON
//	    idx:<Ecosystem>      normalised package name → JSON []pkgEntry
//
// An archive may hold several index buckets: Debian's all.zip names
// packages of "Debian:11" and "Debian:12".
const (
	fileName      = "rampart.db"
	formatVersion = 1
)

var (
	bucketMeta = []byte("meta")
	keyMeta    = []byte("meta")
	bucketRec  = []byte("rec")
)

func archiveBucket(eco string) []byte { return []byte("archive:" + eco) }
func indexBucket(eco string) []byte   { return []byte("idx:" + eco) }

// ErrNoDatabase means the directory holds no database: run `rampart db update`.
var ErrNoDatabase = errors.New("no vulnerability database (run rampart db update)")

// Package is one installed package to match.
type Package struct{ Ecosystem, Name, Version string }

// Vuln is one OSV record.
type Vuln struct {
	ID         string
	Aliases    []string
	Summary    string
	Details    string
	References []string
	Severity   finding.Severity
	CVSS       string // the vector the severity was computed from, if any
	Published  time.Time
	Modified   time.Time
	Raw        []byte // the original OSV JSON
}

// Match is a record that affects a package.
type Match struct {
	Vuln *Vuln
	// FixedVersions are the fixed events above the package's version in
	// the ranges that matched, in the ecosystem's order.
	FixedVersions []string
}

// Meta describes a database.
type Meta struct {
	Format     int             `json:"format"`
	SourceURL  string          `json:"source_url"`
	Updated    time.Time       `json:"updated"` // the last update run that changed or confirmed data
	Ecosystems []EcosystemMeta `json:"ecosystems"`
}

// EcosystemMeta describes one imported archive.
type EcosystemMeta struct {
	Name      string    `json:"name"`
	Records   int       `json:"records"`   // records indexed
	Packages  int       `json:"packages"`  // distinct package names
	Withdrawn int       `json:"withdrawn"` // withdrawn records left out
	Skipped   int       `json:"skipped"`   // entries that failed to parse
	Imported  time.Time `json:"imported"`  // when the archive was last imported
	Checked   time.Time `json:"checked"`   // when the source last confirmed it
	URL       string    `json:"url"`
	// Validators for conditional GETs and the content hash.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	SHA256       string `json:"sha256"`
}

// Ecosystem returns the entry for an archive.
func (m Meta) Ecosystem(name string) (EcosystemMeta, bool) {
	for _, e := range m.Ecosystems {
		if e.Name == name {
			return e, true
		}
	}
	return EcosystemMeta{}, false
}

// Age is how long ago the stalest ecosystem was last confirmed current.
func (m Meta) Age(now time.Time) time.Duration {
	var oldest time.Time
	for _, e := range m.Ecosystems {
		if oldest.IsZero() || e.Checked.Before(oldest) {
			oldest = e.Checked
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return now.Sub(oldest)
}

// DefaultDir is os.UserCacheDir()/rampart/db.
func DefaultDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("database directory: %w", err)
	}
	return filepath.Join(c, "rampart", "db"), nil
}

// maxCachedPackages bounds the parsed-entry cache of a long-lived Store
// (the console, the admission controller). Past it the cache starts over.
const maxCachedPackages = 1 << 17

// Store is an open, read-only database. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	meta Meta
	log  *slog.Logger

	mu      sync.Mutex
	entries map[string][]*compiledEntry // ecosystem \x00 name
	vulns   map[string]*Vuln            // archive \x00 id
}

// OpenOption configures Open.
type OpenOption func(*Store)

// WithLogger makes the store log records and versions it cannot evaluate.
func WithLogger(l *slog.Logger) OpenOption { return func(s *Store) { s.log = l } }

// Open opens the database in dir read-only.
func Open(ctx context.Context, dir string, opts ...OpenOption) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoDatabase)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	meta, err := readMeta(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, meta: meta, log: slog.New(slog.DiscardHandler),
		entries: map[string][]*compiledEntry{}, vulns: map[string]*Vuln{}}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func readMeta(db *bolt.DB) (Meta, error) {
	var m Meta
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return errors.New("not a rampart vulnerability database (no meta bucket)")
		}
		if err := json.Unmarshal(b.Get(keyMeta), &m); err != nil {
			return fmt.Errorf("read metadata: %w", err)
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	if m.Format != formatVersion {
		return m, fmt.Errorf("database format %d, this rampart reads %d (run rampart db update)", m.Format, formatVersion)
	}
	return m, nil
}

// Close releases the database file.
func (s *Store) Close() error { return s.db.Close() }

// Meta describes the database.
func (s *Store) Meta() Meta { return s.meta }

// Age is how long ago the stalest ecosystem was confirmed current; a scan
// warns when it passes its limit.
func (s *Store) Age() time.Duration { return s.meta.Age(time.Now()) }

// Lookup returns every record that names the package, whatever the version.
func (s *Store) Lookup(ctx context.Context, ecosystem, name string) ([]*Vuln, error) {
	eco := NormalizeEcosystem(ecosystem)
	name = NormalizeName(eco, name)
	var out []*Vuln
	err := s.db.View(func(tx *bolt.Tx) error {
		entries, err := readEntries(tx, eco, name)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := s.vuln(tx, eco, e.ID)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lookup %s/%s: %w", eco, name, err)
	}
	return out, nil
}

// Match returns, for each package, the records that affect its version,
// sorted by id. A package whose version its ecosystem cannot parse is
// matched against explicit version lists only, and logged. Large inputs
// are split over GOMAXPROCS workers, each with its own read transaction.
func (s *Store) Match(ctx context.Context, pkgs []Package) ([][]Match, error) {
	out := make([][]Match, len(pkgs))
	workers := min(runtime.GOMAXPROCS(0), len(pkgs)/matchChunk+1)
	g, ctx := errgroup.WithContext(ctx)
	next := make(chan int)
	g.Go(func() error {
		defer close(next)
		for start := 0; start < len(pkgs); start += matchChunk {
			select {
			case next <- start:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			return s.db.View(func(tx *bolt.Tx) error {
				for start := range next {
					for i := start; i < min(start+matchChunk, len(pkgs)); i++ {
						m, err := s.matchOne(tx, pkgs[i])
						if err != nil {
							return err
						}
						out[i] = m
					}
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	return out, nil
}

// matchChunk is how many packages a worker takes at a time.
const matchChunk = 256

func (s *Store) matchOne(tx *bolt.Tx, p Package) ([]Match, error) {
	eco := NormalizeEcosystem(p.Ecosystem)
	name := NormalizeName(eco, p.Name)
	entries, err := s.compiled(tx, eco, name)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	if strings.TrimSpace(p.Version) == "" {
		// Without a version nothing can be decided; matching every range
		// would report each record the package ever had.
		s.log.Warn("package without a version not matched", "ecosystem", eco, "package", name)
		return nil, nil
	}
	pv := newPkgVersion(eco, normalizeVersion(eco, name, p.Version))
	var out []Match
	for _, ce := range entries {
		ok, fixed, err := ce.match(pv)
		if err != nil {
			s.log.Warn("cannot evaluate version ranges", "ecosystem", eco, "package", name,
				"version", p.Version, "record", ce.id, "err", err)
		}
		if !ok {
			continue
		}
		v, err := s.vuln(tx, eco, ce.id)
		if err != nil {
			return nil, err
		}
		out = append(out, Match{Vuln: v, FixedVersions: fixed})
	}
	return out, nil
}

// compiled returns the package's entries with their range bounds parsed,
// from the cache when an earlier call parsed them.
func (s *Store) compiled(tx *bolt.Tx, eco, name string) ([]*compiledEntry, error) {
	key := eco + "\x00" + name
	s.mu.Lock()
	ces, ok := s.entries[key]
	s.mu.Unlock()
	if ok {
		return ces, nil
	}
	entries, err := readEntries(tx, eco, name)
	if err != nil {
		return nil, err
	}
	ces = make([]*compiledEntry, 0, len(entries))
	for _, e := range entries {
		ce, err := compileEntry(eco, e)
		if err != nil {
			// Import checked every range; this is a database written by
			// another version of the parser. Keep what compiled.
			s.log.Warn("skipping version range", "ecosystem", eco, "package", name, "err", err)
		}
		ces = append(ces, ce)
	}
	s.mu.Lock()
	if len(s.entries) >= maxCachedPackages {
		clear(s.entries)
	}
	s.entries[key] = ces
	s.mu.Unlock()
	return ces, nil
}

func readEntries(tx *bolt.Tx, eco, name string) ([]pkgEntry, error) {
	ab := tx.Bucket(archiveBucket(baseEcosystem(eco)))
	if ab == nil {
		return nil, nil
	}
	ib := ab.Bucket(indexBucket(eco))
	if ib == nil {
		return nil, nil
	}
	data := ib.Get([]byte(name))
	if data == nil {
		return nil, nil
	}
	var entries []pkgEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("index entry %s/%s: %w", eco, name, err)
	}
	return entries, nil
}

// vuln loads a record by id, parsing it once per Store.
func (s *Store) vuln(tx *bolt.Tx, eco, id string) (*Vuln, error) {
	archive := baseEcosystem(eco)
	key := archive + "\x00" + id
	s.mu.Lock()
	v, ok := s.vulns[key]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	ab := tx.Bucket(archiveBucket(archive))
	if ab == nil {
		return nil, fmt.Errorf("record %s: no %s archive", id, archive)
	}
	rb := ab.Bucket(bucketRec)
	if rb == nil {
		return nil, fmt.Errorf("record %s: archive %s has no records", id, archive)
	}
	raw := rb.Get([]byte(id))
	if raw == nil {
		return nil, fmt.Errorf("record %s: indexed but missing", id)
	}
	// bbolt's memory is only valid inside the transaction.
	v, err := loadVuln(slices.Clone(raw))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.vulns) >= maxCachedPackages {
		clear(s.vulns)
	}
	s.vulns[key] = v
	s.mu.Unlock()
	return v, nil
}

// Ecosystems lists the ecosystems (with release suffixes) the database
// indexes, for status output.
func (s *Store) Ecosystems() ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if !strings.HasPrefix(string(name), "archive:") {
				return nil
			}
			return b.ForEachBucket(func(k []byte) error {
				if eco, ok := strings.CutPrefix(string(k), "idx:"); ok {
					out = append(out, eco)
				}
				return nil
			})
		})
	})
	slices.Sort(out)
	return out, err
}
