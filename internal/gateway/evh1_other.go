//go:build !linux

package gateway

import (
	"context"
	"errors"
	"net"

	"github.com/rampart-sec/rampart/internal/gateway/connlimit"
)

// evEngine needs epoll; config validation refuses evloop elsewhere.
type evEngine struct{ q *connQueue }

func (s *Server) newEvEngine(int, net.Listener, *connlimit.Listener) (*evEngine, error) {
	return nil, errors.New("http1_engine evloop needs Linux")
}

func (e *evEngine) run() error               { return nil }
func (e *evEngine) shutdown(context.Context) {}
