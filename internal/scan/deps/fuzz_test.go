package deps

import (
	"os"
	"testing"
)

// FuzzLockfileLines covers the parts of extraction Rampart wrote: the
// relationships read from go.mod and package-lock.json, and the line
// fallback, on arbitrary file contents.
func FuzzLockfileLines(f *testing.F) {
	for _, p := range []string{"testdata/project/go.mod", "testdata/project/web/package-lock.json", "testdata/project/requirements.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p, b, "lodash", "4.17.20")
	}
	f.Fuzz(func(t *testing.T, path string, src []byte, name, version string) {
		rel := relationships(path, src)
		for k, v := range rel {
			if v != "direct" && v != "transitive" {
				t.Errorf("relationship %q for %q", v, k)
			}
		}
		idx := newLineIndex(src)
		if line := idx.find(name, version); line < 0 || idx != nil && line > len(idx.lines) {
			t.Errorf("line %d out of range", line)
		}
	})
}
