// Package boundedio reads untrusted input whole without reading past a size
// limit: configs, SBOMs, VEX documents and scanned files all arrive from
// users and must not exhaust memory.
package boundedio

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is returned, wrapped with the limit, for input over it.
var ErrTooLarge = errors.New("input too large")

// ReadAll reads r to its end, or fails with ErrTooLarge once it has read
// more than limit bytes. It reads one byte past the limit, so that input of
// exactly limit bytes is accepted and anything longer is refused.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over the %d byte limit", ErrTooLarge, limit)
	}
	return b, nil
}
