package vulndb

import (
	"encoding/json"
	"testing"
)

// FuzzParseRecord feeds arbitrary bytes to the record importer: it must
// reject or accept without panicking, and whatever it accepts must index,
// compile and evaluate.
func FuzzParseRecord(f *testing.F) {
	for _, files := range otherRecords {
		for _, b := range files {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseRecord(data)
		if err != nil {
			return
		}
		if p.rec.ID == "" {
			t.Fatal("accepted a record without an id")
		}
		v := p.vuln(data)
		if v.ID != p.rec.ID {
			t.Fatalf("vuln id %q, record id %q", v.ID, p.rec.ID)
		}
		for _, e := range p.pkgs {
			// The index encoding must round-trip.
			b, err := json.Marshal([]pkgEntry{e})
			if err != nil {
				t.Fatal(err)
			}
			var back []pkgEntry
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("index entry does not decode: %v", err)
			}
			ce, err := compileEntry(e.Ecosystem, back[0])
			if err != nil {
				t.Fatalf("a range that passed import does not compile: %v", err)
			}
			for _, ver := range []string{"0", "1.0.0", "v2", ""} {
				ce.match(newPkgVersion(e.Ecosystem, ver))
			}
		}
	})
}

// FuzzAffects evaluates arbitrary bounds and versions in every supported
// ordering and checks properties the OSV algorithm guarantees.
func FuzzAffects(f *testing.F) {
	f.Add("npm", "1.0.0", "1.2.0", "", "", "1.1.0")
	f.Add("PyPI", "0", "2.0", "", "", "2.0rc1")
	f.Add("Maven", "2.0-beta9", "", "2.14.1", "", "2.14.1")
	f.Add("Go", "0", "0.0.0-20220906165146-f3363e06e74c", "", "", "v0.0.0-20190620200207-3b0461eec859")
	f.Add("RubyGems", "1.0", "", "", "3.0", "2.2.0.beta1")
	f.Add("Debian", "0", "1:2.3-4", "", "", "2.3-4")
	f.Add("NuGet", "1.0.0-alpha", "1.0.0", "", "", "1.0.0-beta")
	f.Fuzz(func(t *testing.T, eco, introduced, fixed, lastAffected, limit, version string) {
		rd := rangeData{Semver: eco == "npm"}
		add := func(kind byte, v string) {
			if v != "" {
				rd.Events = append(rd.Events, event{Kind: kind, Version: v})
			}
		}
		add(evIntroduced, introduced)
		add(evFixed, fixed)
		add(evLastAffected, lastAffected)
		add(evLimit, limit)
		cr, err := compileRange(eco, rd)
		if err != nil {
			return
		}
		pv := newPkgVersion(eco, version)
		ok, fx, err := cr.affects(pv)
		if err != nil {
			return
		}
		if ok && fixed != "" && fixed == version {
			t.Fatalf("version %q affected by a range fixed at itself", version)
		}
		if ok && limit != "" && limit == version {
			t.Fatalf("version %q affected by a range limited at itself", version)
		}
		if introduced == "0" && fixed == "" && lastAffected == "" && limit == "" && !ok {
			t.Fatalf("version %q not affected by introduced 0 alone", version)
		}
		if !ok && len(fx) != 0 {
			t.Fatalf("%d fixed versions reported for an unaffected version", len(fx))
		}
	})
}
