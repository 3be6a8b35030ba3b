package ratelimit

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical String()
		wantErr string
	}{
		{in: "ip", want: "ip"},
		{in: "JA4", want: "ja4"},
		{in: "ja3", want: "ja3"},
		{in: "header:x-api-key", want: "header:X-Api-Key"},
		{in: "cookie:session", want: "cookie:session"},
		{in: "query:api_key", want: "query:api_key"},
		{in: "jwt:sub", want: "jwt:sub"},
		{in: "ip+header:X-Api-Key", want: "ip+header:X-Api-Key"},
		{in: " ip + jwt:tenant ", want: "ip+jwt:tenant"},
		{in: "", wantErr: "invalid rate limit key: empty"},
		{in: "host", wantErr: `invalid rate limit key: part "host": want ip, ja4, ja3, header:NAME, cookie:NAME, query:NAME or jwt:CLAIM`},
		{in: "ip:v4", wantErr: `invalid rate limit key: part "ip:v4": ip takes no name`},
		{in: "header:", wantErr: `invalid rate limit key: part "header:": want header:NAME`},
		{in: "header:bad name", wantErr: `invalid rate limit key: part "header:bad name": "bad name" is not a valid header name`},
		{in: "cookie:a;b", wantErr: `invalid rate limit key: part "cookie:a;b": "a;b" is not a valid cookie name`},
		{in: "query:a\x00", wantErr: `invalid rate limit key: part "query:a\x00": name must be 1-256 printable characters`},
		{in: "ip+ip", wantErr: `invalid rate limit key: "ip+ip": part "ip" repeated`},
		{in: "ip+", wantErr: `invalid rate limit key: part "": want ip, ja4, ja3, header:NAME, cookie:NAME, query:NAME or jwt:CLAIM`},
		{in: "ip+ja4+ja3+header:a+header:b+cookie:c+query:d+jwt:e+jwt:f", wantErr: "invalid rate limit key: 9 parts: want at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if !errors.Is(err, ErrInvalidKey) {
					t.Errorf("error %v does not wrap ErrInvalidKey", err)
				}
			}
			if diff := cmp.Diff(gotErr, tt.wantErr); diff != "" {
				t.Fatalf("error (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(k.String(), tt.want); diff != "" {
				t.Errorf("String (-got +want):\n%s", diff)
			}
		})
	}
}

func TestKeySpecYAML(t *testing.T) {
	tests := []struct {
		name, doc, want, wantErr string
	}{
		{name: "string", doc: "key: ip+header:X-Api-Key", want: "ip+header:X-Api-Key"},
		{name: "list", doc: "key: [ip, 'header:X-Api-Key']", want: "ip+header:X-Api-Key"},
		{name: "map", doc: "key:\n  a: b", wantErr: "line 2: invalid rate limit key: want a string or a list of strings"},
		{name: "bad part", doc: "key:\n  - ip\n  - host", wantErr: `line 2: invalid rate limit key: part "host": want ip, ja4, ja3, header:NAME, cookie:NAME, query:NAME or jwt:CLAIM`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct{ Key KeySpec }
			err := yaml.Unmarshal([]byte(tt.doc), &v)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(gotErr, tt.wantErr); diff != "" {
				t.Fatalf("error (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(v.Key.String(), tt.want); diff != "" {
				t.Errorf("key (-got +want):\n%s", diff)
			}
		})
	}
}

func TestKeyValue(t *testing.T) {
	h := http.Header{}
	h.Add("X-Api-Key", "k1")
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	h.Set("X-Empty", "")
	full := &RequestInfo{
		ClientIP: netip.MustParseAddr("::ffff:192.0.2.1"),
		JA4:      "t13d1516h2_8daaf6152771_b186095e22b6",
		JA3:      "771,4865-4866,0-23,29-23,0",
		Header:   h,
		Cookies:  func(name string) string { return map[string]string{"session": "s1"}[name] },
		Query:    url.Values{"api_key": {"q1", "q2"}},
		Claims:   map[string]any{"sub": "user-1", "n": float64(42), "admin": true, "obj": map[string]any{}},
	}
	tests := []struct {
		key    string
		ri     *RequestInfo
		want   string
		wantOK bool
	}{
		{"ip", full, "9:192.0.2.1", true},
		{"ip", &RequestInfo{ClientIP: netip.MustParseAddr("2001:db8::1%eth0")}, "13:2001:db8::/64", true},
		{"ip", &RequestInfo{ClientIP: netip.MustParseAddr("2001:db8::ffff:1:2")}, "13:2001:db8::/64", true},
		{"ip", &RequestInfo{ClientIP: netip.MustParseAddr("2001:db8:0:1::1")}, "17:2001:db8:0:1::/64", true},
		{"ip", &RequestInfo{}, "", false},
		{"ja4", full, "36:t13d1516h2_8daaf6152771_b186095e22b6", true},
		{"ja3", full, "26:771,4865-4866,0-23,29-23,0", true},
		{"ja3", &RequestInfo{}, "", false},
		{"header:x-api-key", full, "2:k1", true},
		{"header:X-Multi", full, "4:a, b", true},
		{"header:X-Empty", full, "", false},
		{"header:X-Missing", full, "", false},
		{"header:X-Api-Key", &RequestInfo{}, "", false},
		{"cookie:session", full, "2:s1", true},
		{"cookie:other", full, "", false},
		{"cookie:session", &RequestInfo{}, "", false},
		{"query:api_key", full, "5:q1&q2", true},
		{"query:none", full, "", false},
		{"jwt:sub", full, "6:user-1", true},
		{"jwt:n", full, "2:42", true},
		{"jwt:admin", full, "4:true", true},
		{"jwt:obj", full, "", false},
		{"jwt:sub", &RequestInfo{}, "", false}, // no authentication yet: no claims
		{"ip+header:X-Api-Key", full, "9:192.0.2.12:k1", true},
		{"ip+header:X-Missing", full, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := mustKey(t, tt.key).Value(tt.ri)
			if diff := cmp.Diff([]any{got, ok}, []any{tt.want, tt.wantOK}); diff != "" {
				t.Errorf("Value (-got +want):\n%s", diff)
			}
		})
	}
	if _, ok := mustKey(t, "ip").Value(nil); ok {
		t.Error("Value(nil) ok, want false")
	}
}

// Length prefixes keep two combinations from colliding.
func TestKeyValueUnambiguous(t *testing.T) {
	k := mustKey(t, "header:A+header:B")
	a := http.Header{"A": {"x1:y"}, "B": {"z"}}
	b := http.Header{"A": {"x"}, "B": {"1:yz"}}
	va, _ := k.Value(&RequestInfo{Header: a})
	vb, _ := k.Value(&RequestInfo{Header: b})
	if va == vb {
		t.Errorf("two different header pairs built the same key %q", va)
	}
}

// FuzzParseKey parses a key and builds its value from a request whose every
// attribute is the fuzzed value v.
func FuzzParseKey(f *testing.F) {
	for _, s := range [][2]string{
		{"ip", ""}, {"ip+header:X-Api-Key", "k"}, {"jwt:sub", "user"}, {"cookie:s+query:q", "a\x00b"},
		{"header:", ""}, {"+", "x"}, {"ip+ip", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		again, err := ParseKey(k.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", k.String(), s, err)
		}
		if again.String() != k.String() {
			t.Fatalf("round trip %q -> %q", k.String(), again.String())
		}
		h := http.Header{}
		for _, p := range k.parts {
			if p.kind == partHeader {
				h.Add(p.name, v)
			}
		}
		ip, _ := netip.ParseAddr(v)
		ri := &RequestInfo{
			ClientIP: ip, JA4: v, JA3: v, Header: h,
			Cookies: func(string) string { return v },
			Query:   url.Values{},
			Claims:  map[string]any{},
		}
		for _, p := range k.parts {
			ri.Query.Add(p.name, v)
			ri.Claims[p.name] = v
		}
		got, ok := k.Value(ri)
		if ok && v == "" {
			t.Fatalf("key %q built %q from empty values", k.String(), got)
		}
	})
}
