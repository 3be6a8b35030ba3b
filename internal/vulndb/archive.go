package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Limits against oversized or hostile archives. The whole OSV PyPI archive
// decompresses to well under 2 GiB.
const (
	DefaultMaxArchiveSize = 2 << 30 // compressed bytes downloaded per archive
	DefaultMaxTotalSize   = 8 << 30 // decompressed bytes read per archive
	DefaultMaxEntrySize   = MaxRecordSize
)

// ErrArchiveTooLarge is returned when an archive decompresses to more than
// its limit (a zip bomb, or a limit set too low).
var ErrArchiveTooLarge = errors.New("archive exceeds its decompressed size limit")

// recordsPerTx bounds the records one write transaction holds in memory.
const recordsPerTx = 5000

// Problem is a part of an archive that was skipped.
type Problem struct {
	Ecosystem string
	File      string // the entry in all.zip
	ID        string // the record id, when it was read
	Err       string
}

func (p Problem) String() string {
	s := p.Ecosystem + "/all.zip:" + p.File
	if p.ID != "" {
		s += " (" + p.ID + ")"
	}
	return s + ": " + p.Err
}

// importStats counts what one archive yielded.
type importStats struct {
	records, withdrawn, skipped, packages int
}

// importer writes one archive into a new database's archive bucket.
type importer struct {
	db        *bolt.DB
	eco       string // the archive's ecosystem
	maxEntry  int64
	maxTotal  int64
	problem   func(Problem)
	index     map[string]map[string][]pkgEntry // ecosystem → name → entries
	seen      map[string]bool
	pending   map[string][]byte
	stats     importStats
	totalRead int64
}

func newImporter(db *bolt.DB, eco string, maxEntry, maxTotal int64, problem func(Problem)) *importer {
	return &importer{db: db, eco: eco, maxEntry: maxEntry, maxTotal: maxTotal, problem: problem,
		index: map[string]map[string][]pkgEntry{}, seen: map[string]bool{}, pending: map[string][]byte{}}
}

// importZip reads every record of an all.zip. Entries that fail are
// reported and skipped; only a broken archive, a size-limit breach or a
// database error stops the import.
func (im *importer) importZip(ctx context.Context, r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("read %s/all.zip: %w", im.eco, err)
	}
	// Declared sizes can lie (archive/zip then stops at the declared size
	// with ErrFormat), but an honest archive over the limit fails early.
	var declared uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 <= uint64(im.maxEntry) {
			declared += f.UncompressedSize64
		}
	}
	if declared > uint64(im.maxTotal) {
		return fmt.Errorf("%s/all.zip: %w: declares %d bytes, limit %d", im.eco, ErrArchiveTooLarge, declared, im.maxTotal)
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if !strings.EqualFold(path.Ext(f.Name), ".json") {
			im.skip(f.Name, "", errors.New("not a .json record"))
			continue
		}
		if f.UncompressedSize64 > uint64(im.maxEntry) {
			im.skip(f.Name, "", fmt.Errorf("declares %d bytes, limit %d", f.UncompressedSize64, im.maxEntry))
			continue
		}
		data, err := im.readEntry(f)
		if errors.Is(err, ErrArchiveTooLarge) {
			return err
		}
		if err != nil {
			im.skip(f.Name, "", err)
			continue
		}
		if err := im.add(f.Name, data); err != nil {
			return err
		}
	}
	return im.finish()
}

// readEntry decompresses one entry, trusting neither its declared size nor
// the archive's total.
func (im *importer) readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	limit := min(im.maxEntry, im.maxTotal-im.totalRead)
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, limit+1))
	im.totalRead += n
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if n > limit {
		if im.totalRead > im.maxTotal {
			return nil, fmt.Errorf("%s/all.zip: %w (%d bytes)", im.eco, ErrArchiveTooLarge, im.maxTotal)
		}
		return nil, fmt.Errorf("decompresses past the %d-byte record limit", im.maxEntry)
	}
	return buf.Bytes(), nil
}

func (im *importer) skip(file, id string, err error) {
	im.stats.skipped++
	im.problem(Problem{Ecosystem: im.eco, File: file, ID: id, Err: err.Error()})
}

// add parses one record and queues it; the error is a database error.
func (im *importer) add(file string, data []byte) error {
	p, err := parseRecord(data)
	if err != nil {
		im.skip(file, "", err)
		return nil
	}
	id := p.rec.ID
	for _, w := range p.warnings {
		im.problem(Problem{Ecosystem: im.eco, File: file, ID: id, Err: w})
	}
	if p.withdrawn {
		im.stats.withdrawn++
		return nil
	}
	if im.seen[id] {
		im.skip(file, id, errors.New("duplicate record id"))
		return nil
	}
	im.seen[id] = true
	indexed := false
	for _, e := range p.pkgs {
		if baseEcosystem(e.Ecosystem) != im.eco {
			continue // the record's other ecosystems come from their own archives
		}
		byName := im.index[e.Ecosystem]
		if byName == nil {
			byName = map[string][]pkgEntry{}
			im.index[e.Ecosystem] = byName
		}
		byName[e.Name] = append(byName[e.Name], e)
		indexed = true
	}
	if !indexed {
		return nil
	}
	im.stats.records++
	im.pending[id] = data
	if len(im.pending) >= recordsPerTx {
		return im.flush()
	}
	return nil
}

func (im *importer) flush() error {
	if len(im.pending) == 0 {
		return nil
	}
	ids := make([]string, 0, len(im.pending))
	for id := range im.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := im.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.CreateBucketIfNotExists(archiveBucket(im.eco))
		if err != nil {
			return err
		}
		rb, err := ab.CreateBucketIfNotExists(bucketRec)
		if err != nil {
			return err
		}
		rb.FillPercent = 0.9 // mostly ascending keys
		for _, id := range ids {
			if err := rb.Put([]byte(id), im.pending[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s records: %w", im.eco, err)
	}
	clear(im.pending)
	return nil
}

// finish writes the remaining records and the package index.
func (im *importer) finish() error {
	if err := im.flush(); err != nil {
		return err
	}
	err := im.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.CreateBucketIfNotExists(archiveBucket(im.eco))
		if err != nil {
			return err
		}
		if _, err := ab.CreateBucketIfNotExists(bucketRec); err != nil {
			return err
		}
		for eco, byName := range im.index {
			ib, err := ab.CreateBucket(indexBucket(eco))
			if err != nil {
				return err
			}
			ib.FillPercent = 1 // keys are written in order
			names := make([]string, 0, len(byName))
			for n := range byName {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				entries := byName[n]
				slices.SortFunc(entries, func(a, b pkgEntry) int { return strings.Compare(a.ID, b.ID) })
				v, err := json.Marshal(entries)
				if err != nil {
					return err
				}
				if err := ib.Put([]byte(n), v); err != nil {
					return err
				}
			}
			im.stats.packages += len(names)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s index: %w", im.eco, err)
	}
	return nil
}

// copyArchive copies an archive bucket from the old database unchanged,
// committing every recordsPerTx keys so a large archive is not held in
// memory at once.
func copyArchive(dst, src *bolt.DB, eco string) error {
	name := archiveBucket(eco)
	return src.View(func(stx *bolt.Tx) error {
		sb := stx.Bucket(name)
		if sb == nil {
			return fmt.Errorf("copy %s: missing in the old database", name)
		}
		var subs [][]byte
		if err := sb.ForEachBucket(func(k []byte) error {
			subs = append(subs, slices.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		if err := dst.Update(func(tx *bolt.Tx) error {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
			_, err := tx.CreateBucket(name)
			return err
		}); err != nil {
			return fmt.Errorf("copy %s: %w", name, err)
		}
		for _, sub := range subs {
			c := sb.Bucket(sub).Cursor()
			k, v := c.First()
			for k != nil {
				err := dst.Update(func(tx *bolt.Tx) error {
					b, err := tx.Bucket(name).CreateBucketIfNotExists(sub)
					if err != nil {
						return err
					}
					b.FillPercent = 1 // keys arrive in order
					for n := 0; k != nil && n < recordsPerTx; n++ {
						if err := b.Put(k, v); err != nil {
							return err
						}
						k, v = c.Next()
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("copy %s/%s: %w", name, sub, err)
				}
			}
			if err := dst.Update(func(tx *bolt.Tx) error {
				_, err := tx.Bucket(name).CreateBucketIfNotExists(sub)
				return err
			}); err != nil {
				return fmt.Errorf("copy %s/%s: %w", name, sub, err)
			}
		}
		return nil
	})
}
