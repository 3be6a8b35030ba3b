package tlsfp

import (
	"crypto/md5" //nolint:gosec // JA3 is defined as an MD5 digest; it is an identifier, not a security control.
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Fingerprint is what the gateway logs, rate-limits on, matches in rules and
// forwards upstream (X-Rampart-JA4, X-Rampart-JA3).
type Fingerprint struct {
	JA4     string // t13d1516h2_8daaf6152771_e5627efa2ab1
	JA4R    string // raw: sorted hex lists instead of hashes
	JA4O    string // original order (extensions unsorted, SNI and ALPN kept)
	JA4RO   string // raw, original order
	JA3     string // SSLVersion,Ciphers,Extensions,Groups,PointFormats in decimal
	JA3Hash string // MD5 of JA3, lowercase hex
	SNI     string
	ALPN    []string
}

// Protocol markers for the first character of JA4.
const (
	ProtoTCP  byte = 't'
	ProtoQUIC byte = 'q'
	ProtoDTLS byte = 'd'
)

// isGREASE reports whether v is one of the RFC 8701 reserved values
// (0x0a0a, 0x1a1a, ... 0xfafa), which clients add at random.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func withoutGREASE(vs []uint16) []uint16 {
	out := make([]uint16, 0, len(vs))
	for _, v := range vs {
		if !isGREASE(v) {
			out = append(out, v)
		}
	}
	return out
}

// Fingerprint computes JA4 (all four forms) and JA3. proto is ProtoTCP for
// TLS over TCP and ProtoQUIC for QUIC; any other byte is used as given.
func (ch *ClientHello) Fingerprint(proto byte) Fingerprint {
	fp := Fingerprint{SNI: ch.ServerName, ALPN: slices.Clone(ch.ALPN)}
	fp.JA4, fp.JA4R, fp.JA4O, fp.JA4RO = ch.ja4(proto)
	fp.JA3 = ch.ja3()
	sum := md5.Sum([]byte(fp.JA3)) //nolint:gosec // see import
	fp.JA3Hash = hex.EncodeToString(sum[:])
	return fp
}

// ja4 follows the JA4 client specification (FoxIO, BSD-3-Clause).
func (ch *ClientHello) ja4(proto byte) (ja4, ja4r, ja4o, ja4ro string) {
	ciphers := withoutGREASE(ch.CipherSuites)
	extTypes := make([]uint16, 0, len(ch.Extensions))
	for _, e := range ch.Extensions {
		if !isGREASE(e.Type) {
			extTypes = append(extTypes, e.Type)
		}
	}
	sni := byte('i')
	if ch.HasServerName {
		sni = 'd'
	}
	var a strings.Builder
	a.WriteByte(proto)
	a.WriteString(ja4Version(ch))
	a.WriteByte(sni)
	a.WriteString(count2(len(ciphers)))
	a.WriteString(count2(len(extTypes)))
	a.WriteString(alpnMarker(ch.ALPN))
	prefix := a.String()

	sigs := hexList(withoutGREASE(ch.SignatureAlgorithms))
	withSigs := func(exts string) string {
		if sigs == "" {
			return exts
		}
		return exts + "_" + sigs
	}

	sortedCiphers := hexList(sortedCopy(ciphers))
	origCiphers := hexList(ciphers)

	// The sorted form drops SNI and ALPN (they are already in the prefix);
	// the original-order form keeps every extension.
	var inner []uint16
	for _, t := range extTypes {
		if t != extServerName && t != extALPN {
			inner = append(inner, t)
		}
	}
	sortedExts := withSigs(hexList(sortedCopy(inner)))
	origExts := withSigs(hexList(extTypes))

	extHash, origExtHash := hash12(sortedExts), hash12(origExts)
	if len(inner) == 0 {
		// No extension besides SNI and ALPN (hence no signature algorithms):
		// the reference implementation prints zeros for both orders.
		origExtHash = zeroHash
	}
	ja4 = prefix + "_" + hash12(sortedCiphers) + "_" + extHash
	ja4r = prefix + "_" + sortedCiphers + "_" + sortedExts
	ja4o = prefix + "_" + hash12(origCiphers) + "_" + origExtHash
	ja4ro = prefix + "_" + origCiphers + "_" + origExts
	return ja4, ja4r, ja4o, ja4ro
}

const zeroHash = "000000000000"

// hash12 is the first 12 hex characters of SHA-256; an empty list hashes to
// twelve zeros.
func hash12(s string) string {
	if s == "" {
		return zeroHash
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func sortedCopy(vs []uint16) []uint16 {
	out := slices.Clone(vs)
	slices.Sort(out)
	return out
}

func hexList(vs []uint16) string {
	b := make([]byte, 0, len(vs)*5)
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = hex.AppendEncode(b, []byte{byte(v >> 8), byte(v)})
	}
	return string(b)
}

// count2 is a two-digit count, capped at 99.
func count2(n int) string {
	n = min(n, 99)
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// ja4Version is the highest non-GREASE supported_versions entry, else the
// hello's legacy version.
func ja4Version(ch *ClientHello) string {
	v := ch.Version
	if sv := withoutGREASE(ch.SupportedVersions); len(sv) > 0 {
		v = slices.Max(sv)
	}
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0200, 0x0002:
		return "s2"
	case 0x0100:
		return "s1"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// alpnMarker is the first and last character of the first ALPN value, or
// the first and last hex digit of its bytes when either character is not
// an ASCII letter or digit; "00" without ALPN.
func alpnMarker(alpn []string) string {
	if len(alpn) == 0 || alpn[0] == "" {
		return "00"
	}
	p := alpn[0]
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return string([]byte{first, last})
	}
	h := hex.EncodeToString([]byte(p))
	return string([]byte{h[0], h[len(h)-1]})
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// ja3 is "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats",
// decimal values joined by '-', GREASE values removed, wire order kept.
func (ch *ClientHello) ja3() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(ch.Version)))
	b.WriteByte(',')
	decList(&b, withoutGREASE(ch.CipherSuites))
	b.WriteByte(',')
	exts := make([]uint16, 0, len(ch.Extensions))
	for _, e := range ch.Extensions {
		exts = append(exts, e.Type)
	}
	decList(&b, withoutGREASE(exts))
	b.WriteByte(',')
	decList(&b, withoutGREASE(ch.SupportedGroups))
	b.WriteByte(',')
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(f)))
	}
	return b.String()
}

func decList(b *strings.Builder, vs []uint16) {
	for i, v := range vs {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(v)))
	}
}
