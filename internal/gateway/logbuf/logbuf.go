// Package logbuf batches log lines into few writes, for logs with a line
// per request.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer batches the gateway's JSON log lines into one write per 64 KiB
// or per interval, as nginx's "access_log ... buffer=64k flush=1s" does:
// with one line per request, a write(2) per line cost the gateway about 3%
// of its CPU. bufio.Writer is neither safe for concurrent use nor flushed
// on a timer, hence the lock and the goroutine. A crash loses at most one
// interval of lines.
type Writer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New buffers size bytes for w and flushes them every interval until Close.
func New(w io.Writer, size int, every time.Duration) *Writer {
	b := &Writer{w: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(every)
	return b
}

// Write takes a whole line from slog's handler; the lock keeps lines whole
// and in order even when one is larger than the buffer.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *Writer) run(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush() // nowhere to report a failing log stream
		case <-b.stop:
			return
		}
	}
}

// Close stops the timer and writes what is buffered; later writes are
// buffered until the next explicit Flush.
func (b *Writer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	return b.Flush()
}
