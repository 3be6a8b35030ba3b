package h1frame

import "testing"

func TestFieldLine(t *testing.T) {
	for _, tc := range []struct {
		line, name, value, why string
	}{
		{line: "Host: a.example", name: "Host", value: " a.example"},
		{line: "X-Empty:", name: "X-Empty", value: ""},
		{line: "A: tab\there", name: "A", value: " tab\there"},
		{line: "A: obs-text \x80\xff", name: "A", value: " obs-text \x80\xff"},
		{line: " folded", why: "obs-fold"},
		{line: "\tfolded", why: "obs-fold"},
		{line: "no colon", why: "header line"},
		{line: ": no name", why: "header line"},
		{line: "A B: c", why: "header name"},
		{line: "A\x00: c", why: "header name"},
		{line: "A: nul\x00", why: "header value"},
		{line: "A: cr\rhere", why: "header value"},
		{line: "A: del\x7f", why: "header value"},
	} {
		name, value, why := FieldLine([]byte(tc.line))
		if why != tc.why || string(name) != tc.name || string(value) != tc.value {
			t.Errorf("FieldLine(%q) = %q, %q, %q; want %q, %q, %q", tc.line, name, value, why, tc.name, tc.value, tc.why)
		}
	}
}
