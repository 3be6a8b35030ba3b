package cli

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// TestApplyMemoryPolicy changes process-wide GC settings: not parallel,
// and the previous values are restored.
func TestApplyMemoryPolicy(t *testing.T) {
	prevGC := debug.SetGCPercent(400)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(prevGC)
		debug.SetMemoryLimit(prevLimit)
	})
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name         string
		gogc, memlim string // environment; "" unset
		limit        int64
		wantGC       int
		wantLimit    int64
	}{
		{"defaults", "", "", 80 << 20, 100, 80 << 20},
		{"limit off", "", "", 0, 100, math.MaxInt64},
		{"GOGC wins", "400", "", 80 << 20, 400, 80 << 20},
		{"GOMEMLIMIT wins", "", "1GiB", 80 << 20, 100, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			t.Setenv("GOMEMLIMIT", tt.memlim)
			// The runtime read the real environment at start; these stand
			// for what main and the runtime would have set from it.
			debug.SetGCPercent(400)
			debug.SetMemoryLimit(math.MaxInt64)
			applyMemoryPolicy(tt.limit, log)
			gotGC := debug.SetGCPercent(100)
			if gotGC != tt.wantGC {
				t.Errorf("GC percent = %d, want %d", gotGC, tt.wantGC)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tt.wantLimit)
			}
		})
	}
}
