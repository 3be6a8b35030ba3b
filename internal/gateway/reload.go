package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// ReloadFile loads path and swaps it in; on any error the running
// configuration stays and the error is returned (and logged).
func (s *Server) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err == nil {
		err = s.Reload(cfg)
	} else {
		s.m.Reloads.WithLabelValues("error").Inc()
	}
	if err != nil {
		s.log.Error("reload failed, keeping the running configuration", "config", path, "err", err.Error())
		return fmt.Errorf("reload %s: %w", path, err)
	}
	return nil
}

// watchDebounce lets an editor finish writing (truncate, write, rename)
// before the file is read.
const watchDebounce = 250 * time.Millisecond

// WatchFile calls fn after path changes, until ctx ends. It watches the
// directory, not the file, so editors that replace the file by renaming
// and Kubernetes ConfigMap symlink swaps are seen.
func WatchFile(ctx context.Context, path string, log *slog.Logger, fn func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		w.Close()
		return fmt.Errorf("watch config: %w", err)
	}
	dir := filepath.Dir(abs)
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watch config dir %s: %w", dir, err)
	}
	go func() {
		defer w.Close()
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		for {
			select {
			case <-ctx.Done():
				if timer != nil {
					timer.Stop()
				}
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				// ConfigMaps swap a ..data symlink; anything else in the
				// directory is not ours.
				if filepath.Clean(ev.Name) != abs && filepath.Base(ev.Name) != "..data" {
					continue
				}
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(watchDebounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			case <-fire:
				fn()
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("config watch error", "err", err.Error())
			}
		}
	}()
	return nil
}
