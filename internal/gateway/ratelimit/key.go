package ratelimit

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"
)

// ErrInvalidKey is wrapped by every ParseKey error.
var ErrInvalidKey = errors.New("invalid rate limit key")

type partKind uint8

const (
	partIP partKind = iota + 1
	partJA4
	partJA3
	partHeader
	partCookie
	partQuery
	partJWT
)

var kindNames = map[partKind]string{
	partIP: "ip", partJA4: "ja4", partJA3: "ja3", partHeader: "header",
	partCookie: "cookie", partQuery: "query", partJWT: "jwt",
}

type keyPart struct {
	kind partKind
	name string // header (canonical), cookie, query parameter or claim name
}

// KeySpec says which request attributes identify a client for a rule. Its
// zero value has no parts and is rejected by Rule.Validate.
type KeySpec struct {
	parts []keyPart
}

// maxKeyParts bounds a combination; more is a config mistake.
const maxKeyParts = 8

// ParseKey reads a key: "ip", "ja4", "ja3", "header:NAME", "cookie:NAME",
// "query:NAME", "jwt:CLAIM", or several of them joined with "+"
// ("ip+header:X-Api-Key"). Every part must be present for the rule to apply.
func ParseKey(s string) (KeySpec, error) {
	if strings.TrimSpace(s) == "" {
		return KeySpec{}, fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	return ParseKeyList(strings.Split(s, "+"))
}

// ParseKeyList reads a combination written as a list ([ip, "header:X-Api-Key"]);
// each element may itself use "+".
func ParseKeyList(list []string) (KeySpec, error) {
	var k KeySpec
	for _, el := range list {
		for p := range strings.SplitSeq(el, "+") {
			part, err := parsePart(strings.TrimSpace(p))
			if err != nil {
				return KeySpec{}, err
			}
			for _, have := range k.parts {
				if have == part {
					return KeySpec{}, fmt.Errorf("%w: %q: part %q repeated", ErrInvalidKey, strings.Join(list, "+"), p)
				}
			}
			k.parts = append(k.parts, part)
		}
	}
	if len(k.parts) == 0 {
		return KeySpec{}, fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(k.parts) > maxKeyParts {
		return KeySpec{}, fmt.Errorf("%w: %d parts: want at most %d", ErrInvalidKey, len(k.parts), maxKeyParts)
	}
	return k, nil
}

func parsePart(p string) (keyPart, error) {
	kindStr, name, hasName := strings.Cut(p, ":")
	var kind partKind
	for k, n := range kindNames {
		if strings.EqualFold(kindStr, n) {
			kind = k
		}
	}
	if kind == 0 {
		return keyPart{}, fmt.Errorf("%w: part %q: want ip, ja4, ja3, header:NAME, cookie:NAME, query:NAME or jwt:CLAIM", ErrInvalidKey, p)
	}
	switch kind {
	case partIP, partJA4, partJA3:
		if hasName {
			return keyPart{}, fmt.Errorf("%w: part %q: %s takes no name", ErrInvalidKey, p, kindNames[kind])
		}
		return keyPart{kind: kind}, nil
	}
	if name == "" {
		return keyPart{}, fmt.Errorf("%w: part %q: want %s:NAME", ErrInvalidKey, p, kindNames[kind])
	}
	switch kind {
	case partHeader:
		if !httpguts.ValidHeaderFieldName(name) {
			return keyPart{}, fmt.Errorf("%w: part %q: %q is not a valid header name", ErrInvalidKey, p, name)
		}
		name = http.CanonicalHeaderKey(name)
	case partCookie:
		// A cookie name is an HTTP token (RFC 6265 section 4.1.1).
		if !httpguts.ValidHeaderFieldName(name) {
			return keyPart{}, fmt.Errorf("%w: part %q: %q is not a valid cookie name", ErrInvalidKey, p, name)
		}
	case partQuery, partJWT:
		if len(name) > 256 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return keyPart{}, fmt.Errorf("%w: part %q: name must be 1-256 printable characters", ErrInvalidKey, p)
		}
	}
	return keyPart{kind: kind, name: name}, nil
}

// String is the canonical "+"-joined form ParseKey reads back.
func (k KeySpec) String() string {
	var b strings.Builder
	for i, p := range k.parts {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(kindNames[p.kind])
		if p.name != "" {
			b.WriteByte(':')
			b.WriteString(p.name)
		}
	}
	return b.String()
}

// UnmarshalYAML accepts a string ("ip+header:X-Api-Key") or a list of parts.
func (k *KeySpec) UnmarshalYAML(n *yaml.Node) error {
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		*k, err = ParseKey(n.Value)
	case yaml.SequenceNode:
		var list []string
		if err = n.Decode(&list); err == nil {
			*k, err = ParseKeyList(list)
		}
	default:
		err = fmt.Errorf("%w: want a string or a list of strings", ErrInvalidKey)
	}
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// HeaderValues is a request header as keys read it: an http.Header, or the
// gateway's view of a request served without net/http.
type HeaderValues interface {
	Values(name string) []string
}

// RequestInfo is what a key can be made of. The gateway fills it once per
// request; fields it cannot fill stay zero and rules keyed on them do not
// apply.
type RequestInfo struct {
	ClientIP netip.Addr
	JA4, JA3 string
	Header   HeaderValues
	// Cookies returns a cookie's value, "" when absent. The gateway passes
	// a closure so cookies are parsed only when a rule needs one.
	Cookies func(name string) string
	Query   url.Values
	// Claims are the claims of a token the authentication guard has already
	// verified. Until authentication exists nothing fills them, so a jwt:
	// key yields no key and its rule does not apply.
	Claims map[string]any
}

// maxKeyValue bounds one part's value; longer values are cut to it (the key
// is hashed, so this only bounds the work).
const maxKeyValue = 4096

// Value builds the key for ri, or false when a part is missing or empty (the
// rule does not apply to the request). Parts are length-prefixed so two
// different combinations never build the same key.
func (k KeySpec) Value(ri *RequestInfo) (string, bool) {
	if ri == nil || len(k.parts) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, p := range k.parts {
		v, ok := partValue(p, ri)
		if !ok || v == "" {
			return "", false
		}
		if len(v) > maxKeyValue {
			v = v[:maxKeyValue]
		}
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String(), true
}

func partValue(p keyPart, ri *RequestInfo) (string, bool) {
	switch p.kind {
	case partIP:
		if !ri.ClientIP.IsValid() {
			return "", false
		}
		// An IPv4 client seen on a dual-stack socket is the same client.
		ip := ri.ClientIP.Unmap().WithZone("")
		if ip.Is6() {
			// One IPv6 client is normally given a whole /64 and can
			// rotate addresses inside it at will, so a per-address limit
			// would not hold; count the /64 as one client.
			return netip.PrefixFrom(ip, 64).Masked().String(), true
		}
		return ip.String(), true
	case partJA4:
		return ri.JA4, true
	case partJA3:
		return ri.JA3, true
	case partHeader:
		if ri.Header == nil {
			return "", false
		}
		// Every field line counts, so repeating the header is the same key.
		return strings.Join(ri.Header.Values(p.name), ", "), true
	case partCookie:
		if ri.Cookies == nil {
			return "", false
		}
		return ri.Cookies(p.name), true
	case partQuery:
		if ri.Query == nil {
			return "", false
		}
		return strings.Join(ri.Query[p.name], "&"), true
	case partJWT:
		return claimValue(ri.Claims[p.name])
	}
	return "", false
}

// claimValue stringifies a scalar claim; objects and lists make no key.
func claimValue(v any) (string, bool) {
	switch c := v.(type) {
	case string:
		return c, true
	case float64:
		return strconv.FormatFloat(c, 'g', -1, 64), true
	case int64:
		return strconv.FormatInt(c, 10), true
	case int:
		return strconv.Itoa(c), true
	case bool:
		return strconv.FormatBool(c), true
	}
	return "", false
}
