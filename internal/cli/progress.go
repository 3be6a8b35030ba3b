//go:build !gatewayonly

package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// progress shows "Scanning: 120/1000 files" on a terminal's stderr, at most
// ten times a second, and nothing when stderr is not a terminal.
type progress struct {
	e     *env
	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newProgress(e *env) *progress { return &progress{e: e} }

func (p *progress) update(done, total int) {
	if !p.e.stderrTTY || !p.e.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprintf(p.e.stderr, "\r\x1b[KScanning: %d/%d files", done, total)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\x1b[K")
		p.shown = false
	}
}
