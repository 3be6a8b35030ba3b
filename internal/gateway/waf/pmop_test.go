package waf

import (
	"io/fs"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

func TestPMOperatorEvaluate(t *testing.T) {
	files := fstest.MapFS{
		"rules/words.data": {Data: []byte("# comment\n\n  Select \nunion\n")},
		"rules/cat.data":   {Data: []byte("cat\n")},
	}
	tests := []struct {
		name, op, arg, value string
		capturing            bool
		want                 bool
		wantCaps             map[int]string
	}{
		{"phrase, any case", "pm", "passwd Shadow", "/etc/SHADOW", false, true, map[int]string{}},
		{"miss", "pm", "passwd shadow", "/etc/hosts", false, false, map[int]string{}},
		{"shorter than every phrase", "pm", "passwd", "pass", true, false, map[int]string{}},
		{"captures leftmost-longest, non-overlapping", "pm", "ab abc c", "xabcab c", true, true,
			map[int]string{0: "abc", 1: "ab", 2: "c"}},
		{"at most ten captures", "pm", "a", strings.Repeat("a", 12), true, true,
			map[int]string{0: "a", 1: "a", 2: "a", 3: "a", 4: "a", 5: "a", 6: "a", 7: "a", 8: "a", 9: "a"}},
		{"empty phrases ignored", "pm", "a  b", "xyz", false, false, map[int]string{}},
		{"from a file, trimmed, comments skipped", "pmFromFile", "words.data", "1 UNION SELECT", true, true,
			map[int]string{0: "UNION", 1: "SELECT"}},
		{"pmf alias", "pmf", "cat.data", "concatenate", false, true, map[int]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := plugintypes.OperatorOptions{Arguments: tt.arg, Path: []string{"rules"}, Root: files}
			newOp := newPMOperator
			if tt.op != "pm" {
				newOp = newPMFromFileOperator
			}
			op, err := newOp(opts)
			if err != nil {
				t.Fatal(err)
			}
			tx := &captureTx{capturing: tt.capturing, got: map[int]string{}}
			if got := op.Evaluate(tx, tt.value); got != tt.want {
				t.Errorf("Evaluate(%q) = %v, want %v", tt.value, got, tt.want)
			}
			if !maps.Equal(tx.got, tt.wantCaps) {
				t.Errorf("captures = %v, want %v", tx.got, tt.wantCaps)
			}
		})
	}
}

func TestPMOperatorErrors(t *testing.T) {
	files := fstest.MapFS{"rules/blank.data": {Data: []byte("# nothing\n\n")}}
	tests := []struct {
		name    string
		newOp   func(plugintypes.OperatorOptions) (plugintypes.Operator, error)
		opts    plugintypes.OperatorOptions
		wantErr string
	}{
		{"only empty phrases", newPMOperator, plugintypes.OperatorOptions{Arguments: " "}, "no phrases"},
		{"missing file", newPMFromFileOperator, plugintypes.OperatorOptions{Arguments: "nope.data", Path: []string{"rules"}, Root: files}, "nope.data"},
		{"no directory", newPMFromFileOperator, plugintypes.OperatorOptions{Arguments: "blank.data", Root: files}, "no directory"},
		{"file without phrases", newPMFromFileOperator, plugintypes.OperatorOptions{Arguments: "blank.data", Path: []string{"rules"}, Root: files}, "no phrases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.newOp(tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestPMFromFileCRS loads every CRS data file as the CRS's rules name them.
func TestPMFromFileCRS(t *testing.T) {
	names, err := fs.Glob(coreruleset.FS, "@owasp_crs/*.data")
	if err != nil || len(names) == 0 {
		t.Fatalf("CRS data files: %v (%d)", err, len(names))
	}
	for _, n := range names {
		op, err := newPMFromFileOperator(plugintypes.OperatorOptions{Arguments: strings.TrimPrefix(n, "@owasp_crs/"), Path: []string{"@owasp_crs"}, Root: coreruleset.FS})
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if op.(*pmOperator).m.Len() == 0 {
			t.Errorf("%s: no phrases", n)
		}
	}
}
