package tlsfp

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goHello returns the record bytes of a ClientHello from Go's TLS client.
func goHello(t testing.TB) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		c := tls.Client(a, &tls.Config{ServerName: "example.com", NextProtos: []string{"h2"}})
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		_ = c.Handshake() // fails when b closes; only the hello matters
	}()
	_ = b.SetReadDeadline(time.Now().Add(30 * time.Second))
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := b.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if _, perr := Parse(buf); perr == nil {
			return buf
		}
		if err != nil {
			t.Fatalf("read Go client hello: %v", err)
		}
	}
}

// record wraps payload in one TLS handshake record.
func record(payload []byte) []byte {
	out := []byte{recordHandshake, 3, 1, 0, 0}
	binary.BigEndian.PutUint16(out[3:], uint16(len(payload)))
	return append(out, payload...)
}

func u16b(vs ...uint16) []byte {
	out := make([]byte, 0, 2*len(vs))
	for _, v := range vs {
		out = binary.BigEndian.AppendUint16(out, v)
	}
	return out
}

func vec16(b []byte) []byte { return append(u16b(uint16(len(b))), b...) }
func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

// buildHello builds a ClientHello handshake message (header included).
func buildHello(version uint16, ciphers []uint16, exts []Extension) []byte {
	body := u16b(version)
	body = append(body, make([]byte, 32)...) // random
	body = append(body, vec8(nil)...)        // session id
	body = append(body, vec16(u16b(ciphers...))...)
	body = append(body, vec8([]byte{0})...) // compression: null
	if exts != nil {
		var eb []byte
		for _, e := range exts {
			eb = append(eb, u16b(e.Type)...)
			eb = append(eb, vec16(e.Data)...)
		}
		body = append(body, vec16(eb)...)
	}
	msg := []byte{typeClientHello, 0, 0, 0}
	msg[1], msg[2], msg[3] = byte(len(body)>>16), byte(len(body)>>8), byte(len(body))
	return append(msg, body...)
}

func sniExt(name string) Extension {
	entry := append([]byte{0}, vec16([]byte(name))...)
	return Extension{Type: extServerName, Data: vec16(entry)}
}

func alpnExt(protos ...string) Extension {
	var l []byte
	for _, p := range protos {
		l = append(l, vec8([]byte(p))...)
	}
	return Extension{Type: extALPN, Data: vec16(l)}
}

func TestParseErrors(t *testing.T) {
	good := record(buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt("a.example")}))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short header", good[:3], ErrTruncated},
		{"short payload", good[:len(good)-1], ErrTruncated},
		{"http", []byte("GET / HTTP/1.1\r\n"), ErrNotTLS},
		{"application data", []byte{23, 3, 3, 0, 1, 0}, ErrNotTLS},
		{"sslv2 style", []byte{0x80, 0x2e, 1, 3, 1}, ErrNotTLS},
		{"zero length record", []byte{22, 3, 1, 0, 0}, ErrMalformed},
		{"huge record", []byte{22, 3, 1, 0xff, 0xff}, ErrMalformed},
		{"server hello", record([]byte{2, 0, 0, 0}), ErrMalformed},
		{"hello too large", record([]byte{1, 1, 0, 0}), ErrTooLarge},
		{"body cut", record([]byte{1, 0, 0, 3, 3, 3, 0}), ErrMalformed},
		{"odd ciphers", record(func() []byte {
			h := buildHello(0x0303, []uint16{0x1301}, nil)
			h[4+2+32+1+1]++ // cipher list length 3
			return h
		}()), ErrMalformed},
		{"trailing bytes", record(func() []byte {
			h := append(buildHello(0x0303, []uint16{0x1301}, []Extension{}), 0)
			h[3]++
			return h
		}()), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse() error = %v, want %v", err, tt.want)
			}
		})
	}
}

// A hello split over several records parses like the unsplit one.
func TestParseAcrossRecords(t *testing.T) {
	msg := buildHello(0x0303, []uint16{0x1301, 0x1302}, []Extension{sniExt("split.example"), alpnExt("h2")})
	whole, err := Parse(record(msg))
	if err != nil {
		t.Fatal(err)
	}
	var split []byte
	for i := 0; i < len(msg); i += 7 {
		split = append(split, record(msg[i:min(i+7, len(msg))])...)
	}
	got, err := Parse(split)
	if err != nil {
		t.Fatalf("Parse(split): %v", err)
	}
	if diff := cmp.Diff(got.Fingerprint(ProtoTCP), whole.Fingerprint(ProtoTCP)); diff != "" {
		t.Errorf("split hello (-got +want):\n%s", diff)
	}
	if _, err := Parse(split[:len(split)-3]); !errors.Is(err, ErrTruncated) {
		t.Errorf("Parse(split, cut) error = %v, want ErrTruncated", err)
	}
}

func TestFingerprint(t *testing.T) {
	grease := uint16(0x3a3a)
	sigs := Extension{Type: extSignatureAlgorithms, Data: vec16(u16b(0x0403, grease, 0x0804))}
	versions := Extension{Type: extSupportedVersions, Data: vec8(u16b(grease, 0x0304, 0x0303))}
	groups := Extension{Type: extSupportedGroups, Data: vec16(u16b(grease, 0x001d, 0x0017))}
	points := Extension{Type: extECPointFormats, Data: vec8([]byte{0})}
	tests := []struct {
		name    string
		version uint16
		ciphers []uint16
		exts    []Extension
		want    Fingerprint
	}{
		{
			name:    "grease filtered, sni, alpn, supported versions",
			version: 0x0303,
			ciphers: []uint16{grease, 0x1302, 0x1301},
			exts:    []Extension{{Type: grease}, sniExt("x.example"), alpnExt("h2", "http/1.1"), versions, groups, points, sigs},
			want: Fingerprint{
				JA4:     "t13d0206h2_" + hash12("1301,1302") + "_" + hash12("000a,000b,000d,002b_0403,0804"),
				JA4R:    "t13d0206h2_1301,1302_000a,000b,000d,002b_0403,0804",
				JA4O:    "t13d0206h2_" + hash12("1302,1301") + "_" + hash12("0000,0010,002b,000a,000b,000d_0403,0804"),
				JA4RO:   "t13d0206h2_1302,1301_0000,0010,002b,000a,000b,000d_0403,0804",
				JA3:     "771,4866-4865,0-16-43-10-11-13,29-23,0",
				JA3Hash: "",
				SNI:     "x.example",
				ALPN:    []string{"h2", "http/1.1"},
			},
		},
		{
			name:    "no extensions, ip address",
			version: 0x0301,
			ciphers: []uint16{0x002f},
			want: Fingerprint{
				JA4:   "t10i010000_" + hash12("002f") + "_000000000000",
				JA4R:  "t10i010000_002f_",
				JA4O:  "t10i010000_" + hash12("002f") + "_000000000000",
				JA4RO: "t10i010000_002f_",
				JA3:   "769,47,,,",
			},
		},
		{
			name:    "alpn not alphanumeric uses hex",
			version: 0x0303,
			ciphers: []uint16{0x1301},
			exts:    []Extension{alpnExt("\xabx\xcd")},
			want: Fingerprint{
				JA4:   "t12i0101ad_" + hash12("1301") + "_000000000000",
				JA4R:  "t12i0101ad_1301_",
				JA4O:  "t12i0101ad_" + hash12("1301") + "_000000000000",
				JA4RO: "t12i0101ad_1301_0010",
				JA3:   "771,4865,16,,",
				ALPN:  []string{"\xabx\xcd"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := Parse(record(buildHello(tt.version, tt.ciphers, tt.exts)))
			if err != nil {
				t.Fatal(err)
			}
			got := ch.Fingerprint(ProtoTCP)
			if len(got.JA3Hash) != 32 {
				t.Errorf("JA3Hash = %q, want 32 hex digits", got.JA3Hash)
			}
			got.JA3Hash = ""
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Fingerprint (-got +want):\n%s", diff)
			}
		})
	}
}

func TestFingerprintQUICAndCaps(t *testing.T) {
	ciphers := make([]uint16, 120)
	for i := range ciphers {
		ciphers[i] = uint16(i + 1)
	}
	ch, err := Parse(record(buildHello(0x0303, ciphers, nil)))
	if err != nil {
		t.Fatal(err)
	}
	got := ch.Fingerprint(ProtoQUIC).JA4
	if want := "q12i990000_"; !strings.HasPrefix(got, want) {
		t.Errorf("JA4 = %q, want prefix %q", got, want)
	}
}

func TestParseHandshake(t *testing.T) {
	msg := buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt("quic.example"), alpnExt("h3")})
	ch, err := ParseHandshake(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ch.Fingerprint(ProtoQUIC).JA4[:10], "q12d0102h3"; got != want {
		t.Errorf("JA4 prefix = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want error
	}{
		{"short", msg[:3], ErrTruncated},
		{"cut", msg[:len(msg)-1], ErrTruncated},
		{"trailing", append(msg[:len(msg):len(msg)], 0), ErrMalformed},
		{"record", record(msg), ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHandshake(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("ParseHandshake() error = %v, want %v", err, tt.want)
			}
		})
	}
}
