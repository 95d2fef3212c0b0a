package phxtest

import (
	"context"
	"sync"
)

// notifier wakes waiters whenever the server's state changes.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next change.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) fire() {
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}

// WaitUntil waits until cond is true, checking it whenever a connection
// opens or ends or a channel joins or ends, or until ctx ends.
func (s *Server) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		ch := s.changed.wait()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitConns waits until exactly n connections are open.
func (s *Server) WaitConns(ctx context.Context, n int) error {
	return s.WaitUntil(ctx, func() bool { return s.ConnCount() == n })
}

// WaitJoined waits until at least n channels are joined on topic.
func (s *Server) WaitJoined(ctx context.Context, topic string, n int) error {
	return s.WaitUntil(ctx, func() bool { return s.JoinCount(topic) >= n })
}
