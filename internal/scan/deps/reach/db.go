package reach

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// The layout govulncheck reads from a file:// database (the Go
// vulnerability database's v1 schema, golang.org/x/vuln/internal/client):
//
//	index/db.json       {"modified": T}
//	index/modules.json  [{"path": M, "vulns": [{"id", "modified", "fixed"}]}]
//	ID/<id>.json        the OSV record
//
// x/vuln does not export a writer, so this small one lives here.

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

// moduleVuln leaves "fixed" empty on purpose: govulncheck then fetches
// every record of the module and evaluates its ranges itself, instead of
// trusting a summary computed here.
type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type recordHead struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// safeID keeps ids usable as file names.
var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// WriteDB writes Go OSV records into dir in govulncheck's layout. Records
// that are not Go records are left out.
func WriteDB(dir string, records []Record) error {
	var meta dbMeta
	mods := map[string]*moduleMeta{}
	if err := os.MkdirAll(filepath.Join(dir, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "index"), 0o755); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, raw := range records {
		var h recordHead
		if err := json.Unmarshal(raw, &h); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if !safeID.MatchString(h.ID) {
			return fmt.Errorf("record %d: id %q is not a valid OSV id", i, h.ID)
		}
		if seen[h.ID] {
			continue
		}
		isGo := false
		for _, a := range h.Affected {
			if a.Package.Ecosystem != "Go" {
				continue
			}
			isGo = true
			m := mods[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				mods[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: h.ID, Modified: h.Modified})
		}
		if !isGo {
			continue
		}
		seen[h.ID] = true
		if h.Modified.After(meta.Modified) {
			meta.Modified = h.Modified
		}
		if err := os.WriteFile(filepath.Join(dir, "ID", h.ID+".json"), raw, 0o644); err != nil {
			return err
		}
	}
	if meta.Modified.IsZero() {
		meta.Modified = time.Unix(0, 0).UTC()
	}
	list := make([]*moduleMeta, 0, len(mods))
	for _, m := range mods {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	if err := writeJSON(filepath.Join(dir, "index", "db.json"), meta); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "index", "modules.json"), list)
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
