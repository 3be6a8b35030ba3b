// Package events writes security events (finding.Finding of kind traffic)
// as JSON lines to a file without ever blocking the request path.
package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/finding"
)

// File is a finding.Sink that appends JSON lines to a file from one
// background goroutine. Emit never blocks: when the bounded queue is full
// the event is dropped and OnDrop is called.
type File struct {
	queue  chan finding.Finding
	onDrop func()
	log    *slog.Logger
	f      *os.File
	done   chan struct{}
	// mu orders Emit against Close: requests still running after a
	// shutdown timeout must not send on the closed queue.
	mu     sync.RWMutex
	closed bool
}

var _ finding.Sink = (*File)(nil)

// Open opens (creating, 0600, appending) path and starts the writer.
func Open(path string, queue int, onDrop func(), log *slog.Logger) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open events file: %w", err)
	}
	if queue <= 0 {
		queue = 1024
	}
	if onDrop == nil {
		onDrop = func() {}
	}
	e := &File{queue: make(chan finding.Finding, queue), onDrop: onDrop, log: log, f: f, done: make(chan struct{})}
	go e.run()
	return e, nil
}

// ErrClosed is returned by Emit after Close.
var ErrClosed = errors.New("events file closed")

// Emit queues items; it drops what does not fit.
func (e *File) Emit(_ context.Context, items ...finding.Finding) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return ErrClosed
	}
	for _, it := range items {
		select {
		case e.queue <- it:
		default:
			e.onDrop()
		}
	}
	return nil
}

func (e *File) run() {
	defer close(e.done)
	w := bufio.NewWriter(e.f)
	enc := json.NewEncoder(w)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case it, ok := <-e.queue:
			if !ok {
				if err := w.Flush(); err != nil {
					e.log.Error("events: flush", "err", err)
				}
				return
			}
			if err := enc.Encode(&it); err != nil {
				e.log.Error("events: write", "err", err)
			}
			// Flush when the queue is drained so events are visible promptly.
			if len(e.queue) == 0 {
				if err := w.Flush(); err != nil {
					e.log.Error("events: flush", "err", err)
				}
			}
		case <-tick.C:
			_ = w.Flush()
		}
	}
}

// Close writes what is queued and closes the file; later Emits return
// ErrClosed.
func (e *File) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.queue)
	e.mu.Unlock()
	<-e.done
	return e.f.Close()
}
