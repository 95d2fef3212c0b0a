package supervisor

import (
	"context"
	"log/slog"
	"sync"

	"github.com/rvct/phoenix/actors"
)

// Supervisor hosts every socket and session (SPEC V1). Its methods are safe
// for concurrent use.
type Supervisor struct {
	sys    *actors.System
	logger *slog.Logger

	mu        sync.Mutex
	endpoints []*Endpoint
}

// New starts a Supervisor.
func New(opts ...Option) *Supervisor {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	sys := actors.NewSystem(actors.SystemConfig{Logger: o.logger})
	return &Supervisor{sys: sys, logger: sys.Logger()}
}

// Shutdown stops everything in order (SPEC K9, V3): every session leaves its
// channel, every socket writes what it has queued and closes with a normal
// close frame (1000), and every goroutine the Supervisor started has ended
// when it returns. If ctx ends first, the rest is done as Close does and
// ctx's error is returned. Calling it again, or after Close, returns the
// first result.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	return s.sys.Shutdown(ctx)
}

// Close stops everything at once: no channel is left, connections are
// dropped without a close handshake. It returns when every goroutine the
// Supervisor started has ended. Idempotent; the error is always nil.
func (s *Supervisor) Close() error {
	s.sys.Close()
	return nil
}
