package logbuf

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lockedBuffer is a bytes.Buffer safe to read while the flusher writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		lines int
	}{
		{"lines fit the buffer", 4096, 3},
		{"lines overflow the buffer", 64, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out lockedBuffer
			// An hour: only Close may flush what fits the buffer.
			b := New(&out, tt.size, time.Hour)
			var wg sync.WaitGroup
			for i := range tt.lines {
				wg.Go(func() { fmt.Fprintf(b, "line %03d %s\n", i, strings.Repeat("x", 20)) })
			}
			wg.Wait()
			if tt.size > tt.lines*40 && out.String() != "" {
				t.Errorf("wrote %q before Close, want it buffered", out.String())
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(got) != tt.lines {
				t.Fatalf("got %d lines, want %d:\n%s", len(got), tt.lines, out.String())
			}
			for _, l := range got {
				if diff := cmp.Diff(len(l), len("line 000 ")+20); diff != "" {
					t.Errorf("line %q torn (-got +want length):\n%s", l, diff)
				}
			}
		})
	}
}

func TestWriterFlushesOnTimer(t *testing.T) {
	var out lockedBuffer
	b := New(&out, 4096, 10*time.Millisecond)
	defer b.Close()
	fmt.Fprintln(b, "hello")
	// Bounded wait: the ticker must flush without Close.
	for range 500 {
		if out.String() != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := out.String(), "hello\n"; got != want {
		t.Errorf("after the flush interval got %q, want %q", got, want)
	}
}
