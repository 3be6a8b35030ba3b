package events

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/finding"
)

func TestEventsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	var dropped atomic.Int64
	ev, err := Open(path, 2, func() { dropped.Add(1) }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f := finding.Finding{RuleID: "gateway/waf", Kind: finding.KindTraffic, Traffic: &finding.Traffic{RequestID: "r1", Action: "block", ClientIP: "192.0.2.1"}, Time: time.Unix(1, 0).UTC()}
	for range 50 {
		_ = ev.Emit(context.Background(), f)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ev.Emit(context.Background(), f); err == nil {
		t.Errorf("Emit after Close succeeded")
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	lines := 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var got finding.Finding
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		if got.Traffic == nil || got.Traffic.RequestID != "r1" || got.Kind != finding.KindTraffic {
			t.Errorf("line %d: %+v", lines+1, got)
		}
		lines++
	}
	if int64(lines)+dropped.Load() != 50 || lines == 0 {
		t.Errorf("written %d + dropped %d, want 50 with some written", lines, dropped.Load())
	}
}

