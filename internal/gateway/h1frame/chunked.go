// Package h1frame is HTTP/1.1 framing for a proxy that forwards bytes
// unchanged: where a chunked body ends in bytes that arrive in pieces,
// and the strict check of a header field line.
package h1frame

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every framing error. The proxy forwards raw
// bytes, so anything it cannot frame exactly must end the connection
// rather than be guessed at: a lenient scanner is a smuggling vector.
var ErrMalformed = errors.New("malformed message framing")

// Limits
const (
	// MaxChunkLine bounds a chunk-size line incl. extensions, without
	// CRLF. As in net/http, a line must be shorter than this, so that we
	// never accept a line Go's own reader rejects.
	MaxChunkLine = 4096
	// MaxTrailer bounds the trailer section, final CRLF included.
	MaxTrailer = 16 << 10
)

const (
	maxChunkSize   = 1 << 62
	maxChunkDigits = 16 // net/http rejects more, even as leading zeros
)

type state uint8

// The zero state is the start of a chunk-size line, so the zero Chunked
// is ready for a new body.
const (
	stSize         state = iota // want the first hex digit
	stSizeMore                  // more hex digits, BWS, ';' or CR
	stSizeBWS                   // BWS after the size: only ';' may end it
	stExt                       // chunk extensions up to CR
	stSizeLF                    // CR seen on the size line
	stData                      // c.size bytes of chunk data left
	stDataCR                    // CRLF after chunk data
	stDataLF                    //
	stTrailer                   // start of a trailer line or the final CRLF
	stTrailerName               // field name up to ':'
	stTrailerValue              // field value up to CR
	stTrailerLF                 // CR seen on a trailer line
	stFinalLF                   // CR seen on the empty line ending the body
	stDone
	stFailed
)

// Chunked scans a chunked body (RFC 9112 §7.1). The zero value is ready
// for a new body; Reset makes it so again.
type Chunked struct {
	state   state
	digits  uint8
	line    int    // bytes of the current size line so far
	trailer int    // bytes of the trailer section so far
	size    uint64 // chunk size being parsed, then chunk data left
	err     error
}

// Reset readies c for a new body.
func (c *Chunked) Reset() { *c = Chunked{} }

// Scan consumes p, the next bytes after what earlier calls consumed. It
// returns how many bytes of p belong to the body (n) and whether the body,
// trailer section and final CRLF included, ended within them (done). When
// done, n may be less than len(p): the rest belongs to the next message.
// When not done, n == len(p). An error means malformed framing; the
// caller must close the connection. Scan after done or after an error
// returns the same result again with n == 0.
//
// On error, n counts the bytes before the offending one.
func (c *Chunked) Scan(p []byte) (n int, done bool, err error) {
	switch c.state {
	case stDone:
		return 0, true, nil
	case stFailed:
		return 0, false, c.err
	}
	i := 0
	for i < len(p) {
		if c.state == stData {
			// Skip chunk data by arithmetic: the body is forwarded
			// as is, so its bytes need no look.
			k := uint64(len(p) - i)
			if k > c.size {
				k = c.size
			}
			i += int(k)
			c.size -= k
			if c.size == 0 {
				c.state = stDataCR
			}
			continue
		}
		b := p[i]
		if c.state >= stTrailer {
			c.trailer++
			if c.trailer > MaxTrailer {
				return c.fail(i, fmt.Errorf("h1frame: trailer: longer than %d bytes: %w", MaxTrailer, ErrMalformed))
			}
		} else if c.state <= stExt && b != '\r' {
			c.line++
			if c.line >= MaxChunkLine {
				return c.fail(i, fmt.Errorf("h1frame: chunk line: want fewer than %d bytes: %w", MaxChunkLine, ErrMalformed))
			}
		}
		switch c.state {
		case stSize, stSizeMore:
			if v, ok := unhex(b); ok {
				if c.digits == maxChunkDigits {
					return c.fail(i, fmt.Errorf("h1frame: chunk size: want at most %d hex digits: %w", maxChunkDigits, ErrMalformed))
				}
				if c.size > maxChunkSize>>4 || c.size<<4|v > maxChunkSize {
					return c.fail(i, fmt.Errorf("h1frame: chunk size: want at most %#x: %w", uint64(maxChunkSize), ErrMalformed))
				}
				c.size = c.size<<4 | v
				c.digits++
				c.state = stSizeMore
				break
			}
			if c.state == stSize {
				return c.fail(i, fmt.Errorf("h1frame: chunk size: want hex digit, got %q: %w", b, ErrMalformed))
			}
			switch b {
			case ' ', '\t':
				c.state = stSizeBWS
			case ';':
				c.state = stExt
			case '\r':
				c.state = stSizeLF
			default:
				return c.fail(i, fmt.Errorf("h1frame: chunk size: want hex digit, ';' or CRLF, got %q: %w", b, ErrMalformed))
			}
		case stSizeBWS:
			switch b {
			case ' ', '\t':
			case ';':
				c.state = stExt
			default:
				// "a \r\n" has no extension to excuse the space.
				return c.fail(i, fmt.Errorf("h1frame: chunk size: want ';' after whitespace, got %q: %w", b, ErrMalformed))
			}
		case stExt:
			// The proxy ignores extensions; it only has to be sure no
			// line break or control byte hides in them.
			if b == '\r' {
				c.state = stSizeLF
			} else if !fieldByte(b) {
				return c.fail(i, fmt.Errorf("h1frame: chunk extension: want visible, whitespace or obs-text byte, got %q: %w", b, ErrMalformed))
			}
		case stSizeLF:
			if b != '\n' {
				return c.fail(i, fmt.Errorf("h1frame: chunk line: want LF after CR, got %q: %w", b, ErrMalformed))
			}
			c.line, c.digits = 0, 0
			if c.size == 0 {
				c.state = stTrailer
			} else {
				c.state = stData
			}
		case stDataCR:
			if b != '\r' {
				return c.fail(i, fmt.Errorf("h1frame: chunk data: want CRLF after data, got %q: %w", b, ErrMalformed))
			}
			c.state = stDataLF
		case stDataLF:
			if b != '\n' {
				return c.fail(i, fmt.Errorf("h1frame: chunk data: want LF after CR, got %q: %w", b, ErrMalformed))
			}
			c.state = stSize
		case stTrailer:
			switch {
			case b == '\r':
				c.state = stFinalLF
			case tokenByte(b):
				c.state = stTrailerName
			case b == ' ' || b == '\t':
				return c.fail(i, fmt.Errorf("h1frame: trailer: want field name, got obs-fold or leading whitespace: %w", ErrMalformed))
			default:
				return c.fail(i, fmt.Errorf("h1frame: trailer: want field name or CRLF, got %q: %w", b, ErrMalformed))
			}
		case stTrailerName:
			if b == ':' {
				c.state = stTrailerValue
			} else if !tokenByte(b) {
				return c.fail(i, fmt.Errorf("h1frame: trailer: want token byte or ':', got %q: %w", b, ErrMalformed))
			}
		case stTrailerValue:
			if b == '\r' {
				c.state = stTrailerLF
			} else if !fieldByte(b) {
				return c.fail(i, fmt.Errorf("h1frame: trailer: want field value byte, got %q: %w", b, ErrMalformed))
			}
		case stTrailerLF:
			if b != '\n' {
				return c.fail(i, fmt.Errorf("h1frame: trailer: want LF after CR, got %q: %w", b, ErrMalformed))
			}
			c.state = stTrailer
		case stFinalLF:
			if b != '\n' {
				return c.fail(i, fmt.Errorf("h1frame: final line: want LF after CR, got %q: %w", b, ErrMalformed))
			}
			c.state = stDone
			return i + 1, true, nil
		}
		i++
	}
	return i, false, nil
}

func (c *Chunked) fail(n int, err error) (int, bool, error) {
	c.state, c.err = stFailed, err
	return n, false, err
}

func unhex(b byte) (uint64, bool) {
	switch {
	case '0' <= b && b <= '9':
		return uint64(b - '0'), true
	case 'a' <= b && b <= 'f':
		return uint64(b - 'a' + 10), true
	case 'A' <= b && b <= 'F':
		return uint64(b - 'A' + 10), true
	}
	return 0, false
}

// fieldByte reports whether b may appear in a field value or chunk
// extension: VCHAR, SP, HTAB or obs-text, but no other control byte.
func fieldByte(b byte) bool {
	return b == '\t' || (b >= 0x20 && b != 0x7f)
}

// tokenByte reports whether b is a tchar (RFC 9110 §5.6.2).
func tokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
