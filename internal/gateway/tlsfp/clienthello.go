// Package tlsfp computes TLS client fingerprints (JA4 and its raw and
// original-order forms, JA3 and its MD5) from the raw ClientHello bytes, for
// the gateway's listener and for packet captures.
//
// The ClientHello parser is hand-written: crypto/tls does not expose the raw
// hello (tls.ClientHelloInfo lacks extension order, GREASE values and the
// legacy version), and it rejects hellos we still want to fingerprint.
package tlsfp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Size bounds. A ClientHello larger than MaxHelloSize is refused: real
// clients (post-quantum key shares included) stay far below it, and the
// bound keeps a hostile peer from making us buffer without limit.
const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4
	maxRecordPayload   = 16384 // TLSPlaintext limit (RFC 8446 5.1); hellos are never encrypted
	// MaxHelloSize is the largest ClientHello handshake message accepted.
	MaxHelloSize = 16384
	// MaxHelloBytes bounds the record bytes (headers included) read for one
	// hello: a MaxHelloSize hello plus the headers of up to 64 records, as
	// no real client splits its hello finer than that.
	MaxHelloBytes = MaxHelloSize + handshakeHeaderLen + 64*recordHeaderLen
)

// TLS record content types and handshake types used here.
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	typeClientHello        = 1
)

// Extension code points the fingerprints look at.
const (
	extServerName          = 0x0000
	extSupportedGroups     = 0x000a
	extECPointFormats      = 0x000b
	extSignatureAlgorithms = 0x000d
	extALPN                = 0x0010
	extSupportedVersions   = 0x002b
)

// Stable errors callers can test with errors.Is.
var (
	// ErrTruncated means the bytes end before the ClientHello does; more
	// bytes from the connection may complete it.
	ErrTruncated = errors.New("tls: truncated client hello")
	// ErrNotTLS means the bytes do not start with a TLS handshake record.
	ErrNotTLS = errors.New("tls: not a tls handshake record")
	// ErrMalformed means the hello violates the TLS encoding.
	ErrMalformed = errors.New("tls: malformed client hello")
	// ErrTooLarge means the hello exceeds MaxHelloSize or MaxHelloBytes.
	ErrTooLarge = errors.New("tls: client hello too large")
)

// Extension is one ClientHello extension in wire order.
type Extension struct {
	Type uint16
	Data []byte
}

// ClientHello is the parsed ClientHello; slices keep wire order and GREASE
// values, the fingerprint builders filter them.
type ClientHello struct {
	// RecordVersion is the version in the first record header.
	RecordVersion uint16
	// Version is the legacy_version of the hello.
	Version            uint16
	Random             []byte
	SessionID          []byte
	CipherSuites       []uint16
	CompressionMethods []byte
	Extensions         []Extension
	// Raw is the handshake message, header included, as it was on the wire.
	Raw []byte

	// Decoded from extensions; nil or empty when absent.
	ServerName          string
	HasServerName       bool
	ALPN                []string
	SupportedVersions   []uint16
	SignatureAlgorithms []uint16
	SupportedGroups     []uint16
	ECPointFormats      []uint8
}

// Parse parses a ClientHello from TLS record bytes starting at the record
// header. The hello may span several handshake records. Parse returns
// ErrTruncated (wrapped) when hello ends early.
func Parse(hello []byte) (*ClientHello, error) {
	var hs handshakeReader
	for off := 0; ; {
		if len(hs.buf) > 0 && hs.buf[0] != typeClientHello {
			return nil, fmt.Errorf("handshake type %d, want client hello (1): %w", hs.buf[0], ErrMalformed)
		}
		msg, err := hs.next()
		if err != nil {
			return nil, err
		}
		if msg != nil {
			if msg[0] != typeClientHello {
				return nil, fmt.Errorf("handshake type %d, want client hello (1): %w", msg[0], ErrMalformed)
			}
			return parseHello(msg, hs.firstVersion)
		}
		n, err := hs.feedRecord(hello[off:], off)
		if err != nil {
			return nil, err
		}
		off += n
	}
}

// ParseHandshake parses a ClientHello handshake message without the record
// layer, as QUIC carries it in CRYPTO frames (RFC 9001); fingerprint it
// with ProtoQUIC.
func ParseHandshake(msg []byte) (*ClientHello, error) {
	if len(msg) < handshakeHeaderLen {
		return nil, fmt.Errorf("handshake header: %d of %d bytes: %w", len(msg), handshakeHeaderLen, ErrTruncated)
	}
	if msg[0] != typeClientHello {
		return nil, fmt.Errorf("handshake type %d, want client hello (1): %w", msg[0], ErrMalformed)
	}
	n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
	if n > MaxHelloSize {
		return nil, fmt.Errorf("client hello of %d bytes, limit %d: %w", n, MaxHelloSize, ErrTooLarge)
	}
	if len(msg) < handshakeHeaderLen+n {
		return nil, fmt.Errorf("client hello: %d of %d bytes: %w", len(msg)-handshakeHeaderLen, n, ErrTruncated)
	}
	if len(msg) > handshakeHeaderLen+n {
		return nil, fmt.Errorf("%d bytes after the client hello: %w", len(msg)-handshakeHeaderLen-n, ErrMalformed)
	}
	return parseHello(msg, 0)
}

// handshakeReader joins handshake records into handshake messages.
type handshakeReader struct {
	buf          []byte
	records      int
	recordBytes  int
	firstVersion uint16
}

// feedRecord consumes one record from b (at stream offset off, for errors)
// and returns its length. Only handshake records are accepted.
func (h *handshakeReader) feedRecord(b []byte, off int) (int, error) {
	if len(b) < recordHeaderLen {
		if len(b) > 0 && b[0] != recordHandshake {
			return 0, fmt.Errorf("record at byte %d: content type %d, want handshake (22): %w", off, b[0], ErrNotTLS)
		}
		return 0, fmt.Errorf("record header at byte %d: %w", off, ErrTruncated)
	}
	if b[0] != recordHandshake {
		return 0, fmt.Errorf("record at byte %d: content type %d, want handshake (22): %w", off, b[0], ErrNotTLS)
	}
	// The major version is 3 for SSL 3.0 to TLS 1.3 (and 0xfe for DTLS, not
	// carried over TCP); anything else is not TLS.
	if b[1] != 3 {
		return 0, fmt.Errorf("record at byte %d: version %#04x: %w", off, binary.BigEndian.Uint16(b[1:3]), ErrNotTLS)
	}
	n := int(binary.BigEndian.Uint16(b[3:5]))
	if n == 0 || n > maxRecordPayload {
		return 0, fmt.Errorf("record at byte %d: length %d, want 1..%d: %w", off, n, maxRecordPayload, ErrMalformed)
	}
	h.recordBytes += recordHeaderLen + n
	if h.recordBytes > MaxHelloBytes {
		return 0, fmt.Errorf("record at byte %d: more than %d bytes of records: %w", off, MaxHelloBytes, ErrTooLarge)
	}
	if len(b) < recordHeaderLen+n {
		return 0, fmt.Errorf("record at byte %d: %d of %d payload bytes: %w", off, len(b)-recordHeaderLen, n, ErrTruncated)
	}
	if h.records == 0 {
		h.firstVersion = binary.BigEndian.Uint16(b[1:3])
	}
	h.records++
	h.buf = append(h.buf, b[recordHeaderLen:recordHeaderLen+n]...)
	return recordHeaderLen + n, nil
}

// next returns the next complete handshake message (header included), nil
// if more records are needed.
func (h *handshakeReader) next() ([]byte, error) {
	if len(h.buf) < handshakeHeaderLen {
		return nil, nil
	}
	n := int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3])
	if n > MaxHelloSize {
		return nil, fmt.Errorf("handshake message type %d of %d bytes, limit %d: %w", h.buf[0], n, MaxHelloSize, ErrTooLarge)
	}
	if len(h.buf) < handshakeHeaderLen+n {
		return nil, nil
	}
	msg := h.buf[: handshakeHeaderLen+n : handshakeHeaderLen+n]
	h.buf = h.buf[handshakeHeaderLen+n:]
	// The record-bytes budget is per message: a stream may carry a second
	// hello (after HelloRetryRequest).
	h.recordBytes = len(h.buf)
	return msg, nil
}

// reader is a bounds-checked cursor over a byte slice; the first failure
// sticks and names the field being read.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(field string, want int) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d: need %d bytes, have %d: %w", field, r.off, want, len(r.b), ErrMalformed)
	}
	r.b = nil
}

func (r *reader) bytes(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail(field, n)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	r.off += n
	return v
}

func (r *reader) u8(field string) uint8 {
	b := r.bytes(1, field)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16(field string) uint16 {
	b := r.bytes(2, field)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// vec reads a vector with an 8- or 16-bit length prefix.
func (r *reader) vec8(field string) []byte  { return r.bytes(int(r.u8(field+" length")), field) }
func (r *reader) vec16(field string) []byte { return r.bytes(int(r.u16(field+" length")), field) }

func u16s(b []byte, field string) ([]uint16, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("%s: odd length %d: %w", field, len(b), ErrMalformed)
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return out, nil
}

// parseHello parses a ClientHello handshake message, header included.
func parseHello(msg []byte, recordVersion uint16) (*ClientHello, error) {
	r := &reader{b: msg[handshakeHeaderLen:], off: handshakeHeaderLen}
	ch := &ClientHello{RecordVersion: recordVersion, Raw: msg}
	ch.Version = r.u16("legacy_version")
	ch.Random = r.bytes(32, "random")
	ch.SessionID = r.vec8("legacy_session_id")
	suites := r.vec16("cipher_suites")
	ch.CompressionMethods = r.vec8("compression_methods")
	if r.err != nil {
		return nil, r.err
	}
	if len(ch.SessionID) > 32 {
		return nil, fmt.Errorf("legacy_session_id of %d bytes, limit 32: %w", len(ch.SessionID), ErrMalformed)
	}
	var err error
	if ch.CipherSuites, err = u16s(suites, "cipher_suites"); err != nil {
		return nil, err
	}
	if len(r.b) == 0 {
		return ch, nil // a hello without extensions (SSL 3.0 style) is valid
	}
	exts := r.vec16("extensions")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d bytes after extensions: %w", len(r.b), ErrMalformed)
	}
	er := &reader{b: exts, off: r.off - len(exts)}
	ch.Extensions = make([]Extension, 0, 24)
	for len(er.b) > 0 {
		typ := er.u16("extension type")
		data := er.vec16("extension data")
		if er.err != nil {
			return nil, fmt.Errorf("extension %#04x: %w", typ, er.err)
		}
		ch.Extensions = append(ch.Extensions, Extension{Type: typ, Data: data})
		if err := ch.decodeExtension(typ, data); err != nil {
			return nil, fmt.Errorf("extension %#04x: %w", typ, err)
		}
	}
	return ch, nil
}

// decodeExtension fills the decoded fields the fingerprints need. Only the
// first occurrence of a duplicated extension is decoded.
func (ch *ClientHello) decodeExtension(typ uint16, data []byte) error {
	r := &reader{b: data}
	var err error
	switch typ {
	case extServerName:
		if ch.HasServerName {
			return nil
		}
		ch.HasServerName = true
		if len(data) == 0 {
			return nil // servers echo an empty server_name; tolerate it in hellos too
		}
		list := &reader{b: r.vec16("server_name_list")}
		for len(list.b) > 0 && list.err == nil {
			nameType := list.u8("name_type")
			name := list.vec16("host_name")
			if nameType == 0 && ch.ServerName == "" {
				ch.ServerName = string(name)
			}
		}
		err = firstErr(r.err, list.err)
	case extALPN:
		if ch.ALPN != nil {
			return nil
		}
		ch.ALPN = []string{}
		list := &reader{b: r.vec16("protocol_name_list")}
		for len(list.b) > 0 && list.err == nil {
			if p := list.vec8("protocol_name"); list.err == nil {
				ch.ALPN = append(ch.ALPN, string(p))
			}
		}
		err = firstErr(r.err, list.err)
	case extSupportedVersions:
		if ch.SupportedVersions != nil {
			return nil
		}
		v := r.vec8("versions")
		if r.err == nil {
			ch.SupportedVersions, err = u16s(v, "versions")
		}
		err = firstErr(r.err, err)
	case extSignatureAlgorithms:
		if ch.SignatureAlgorithms != nil {
			return nil
		}
		v := r.vec16("supported_signature_algorithms")
		if r.err == nil {
			ch.SignatureAlgorithms, err = u16s(v, "supported_signature_algorithms")
		}
		err = firstErr(r.err, err)
	case extSupportedGroups:
		if ch.SupportedGroups != nil {
			return nil
		}
		v := r.vec16("named_group_list")
		if r.err == nil {
			ch.SupportedGroups, err = u16s(v, "named_group_list")
		}
		err = firstErr(r.err, err)
	case extECPointFormats:
		if ch.ECPointFormats != nil {
			return nil
		}
		ch.ECPointFormats = append([]uint8{}, r.vec8("ec_point_format_list")...)
		err = r.err
	}
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
