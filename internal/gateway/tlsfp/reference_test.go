package tlsfp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceDir is the JA4 reference captures and fingerprints, outside the
// repository (see ../shared/testdata/README.md).
func referenceDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "ja4")
	if _, err := os.Stat(filepath.Join(dir, "expected")); err != nil {
		t.Skipf("JA4 reference data not found at %s (see ../shared/testdata/README.md): %v", dir, err)
	}
	return dir
}

// referenceHellosIfPresent is referenceHellos, or nothing when the
// reference data is absent.
func referenceHellosIfPresent(t testing.TB, pcap string) map[string]CaptureHello {
	t.Helper()
	if _, err := os.Stat(pcap); err != nil {
		return nil
	}
	return referenceHellos(t, pcap)
}

// referenceHellos reads every ClientHello of one capture, keyed by
// "stream.index".
func referenceHellos(t testing.TB, pcap string) map[string]CaptureHello {
	t.Helper()
	f, err := os.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]CaptureHello{}
	err = ReadCapture(context.Background(), f, CaptureOptions{}, func(h CaptureHello) error {
		if h.Err != nil {
			t.Logf("%s: stream %d: %v", filepath.Base(pcap), h.Stream, h.Err)
			return nil
		}
		got[fmt.Sprintf("%d.%d", h.Stream, h.Index)] = h
		return nil
	})
	if err != nil {
		t.Fatalf("ReadCapture(%s): %v", pcap, err)
	}
	return got
}

// TestReference checks every JA4 form against the reference implementation's
// output for its own test captures: all must match.
func TestReference(t *testing.T) {
	dir := referenceDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "expected", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expected files in %s: %v", dir, err)
	}
	var captures, hellos int
	for _, exp := range files {
		name := strings.TrimSuffix(filepath.Base(exp), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			var want []map[string]any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", exp, err)
			}
			got := referenceHellos(t, filepath.Join(dir, "pcap", name))
			captures++
			seen := map[string]bool{}
			for _, w := range want {
				stream := int(w["stream"].(float64))
				for n := 1; ; n++ {
					sfx := "." + strconv.Itoa(n)
					if _, ok := w["JA4"+sfx]; !ok {
						break
					}
					hellos++
					key := fmt.Sprintf("%d.%d", stream, n)
					seen[key] = true
					h, ok := got[key]
					if !ok {
						t.Errorf("stream %d hello %d: not found", stream, n)
						continue
					}
					fp := h.Hello.Fingerprint(ProtoTCP)
					gotRow := map[string]string{
						"src": h.Src.String(), "dst": h.Dst.String(),
						"srcport": strconv.Itoa(int(h.SrcPort)), "dstport": strconv.Itoa(int(h.DstPort)),
						"domain":    fp.SNI,
						"JA4" + sfx: fp.JA4, "JA4_r" + sfx: fp.JA4R, "JA4_o" + sfx: fp.JA4O, "JA4_ro" + sfx: fp.JA4RO,
					}
					wantRow := map[string]string{}
					for k := range gotRow {
						s, _ := w[k].(string)
						wantRow[k] = s
					}
					if diff := cmp.Diff(gotRow, wantRow); diff != "" {
						t.Errorf("stream %d hello %d (-got +want):\n%s", stream, n, diff)
					}
				}
			}
			for key, h := range got {
				if !seen[key] {
					t.Errorf("hello %s (%s -> %s, sni %q) is not in the reference output", key, h.Src, h.Dst, h.Hello.ServerName)
				}
			}
		})
	}
	t.Logf("compared %d hellos in %d captures", hellos, captures)
}
