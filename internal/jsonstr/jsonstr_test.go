package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// reference is encoding/json without HTML escaping, with \b and \f written
// as slog writes them.
func reference(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte(`\b`), []byte(`\u0008`))
	return bytes.ReplaceAll(out, []byte(`\f`), []byte(`\u000c`))
}

func TestAppend(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "\x00\x1f\x7f\b\f\n\r\t", "é\u2028\u2029\U0001F600", "\xff\xfe bad", "<a&b>"} {
		if got, want := Append(nil, s), reference(t, s); !bytes.Equal(got, want) {
			t.Errorf("Append(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("a\"\\\x00\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := Append(nil, s)
		// \\b in the input is the two characters, not a backspace: compare
		// only where the replacement cannot touch escaped backslashes.
		if !bytes.Contains([]byte(s), []byte(`\`)) {
			if want := reference(t, s); !bytes.Equal(got, want) {
				t.Fatalf("Append(%q) = %s, want %s", s, got, want)
			}
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("Append(%q) = %s: not JSON: %v", s, got, err)
		}
	})
}
