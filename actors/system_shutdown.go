package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
)

// defaultLeaveWait bounds the wait for sessions' LeaveDone when Shutdown's
// context has no deadline.
const defaultLeaveWait = 5 * time.Second

// Shutdown stops everything in order (SPEC K9, V3): every session gets
// messages.Leave and is waited for (its phx_leave is queued); every socket
// writes what is queued, sends a normal close (1000) and waits for the
// server's close; then every actor is stopped, restart timers are
// cancelled, and every goroutine the System started has ended. When ctx
// ends first, the rest is done the hard way (Close) and ctx's error is
// returned. Idempotent: later calls wait for the first and return its result.
func (s *System) Shutdown(ctx context.Context) error {
	if s.shutdownStarted.CompareAndSwap(false, true) {
		s.shutdownErr = s.shutdown(ctx)
		close(s.shutdownDone)
		return s.shutdownErr
	}
	select {
	case <-s.shutdownDone:
		return s.shutdownErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *System) shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		s.Close()
		return nil
	}
	s.state = stateStopping
	s.mu.Unlock()
	s.sockets.stop() // no restart from now on

	// 1. Sessions leave.
	err := s.leaveSessions(ctx)

	// 2. Sockets close with a normal close frame.
	if err == nil {
		socks := s.allSockets()
		for _, c := range socks {
			c.beginClose()
		}
		for _, c := range socks {
			if err = c.waitClosed(ctx); err != nil {
				break
			}
		}
	}

	// 3. Actors stop, goroutines end, the actor system shuts down.
	s.Close()
	return err
}

// leaveSessions sends Leave to every session and waits for every LeaveDone.
func (s *System) leaveSessions(ctx context.Context) error {
	s.mu.Lock()
	pids := make([]*actor.PID, 0, len(s.sessIndex))
	for _, pid := range s.sessIndex {
		pids = append(pids, pid)
	}
	s.mu.Unlock()
	if len(pids) == 0 {
		return ctx.Err()
	}
	wait := defaultLeaveWait
	if dl, ok := ctx.Deadline(); ok {
		// A little past the deadline: when a session does not answer, ctx
		// ends first and Shutdown reports it.
		wait = time.Until(dl) + time.Millisecond
	}
	if wait <= 0 {
		return context.DeadlineExceeded
	}
	futures := make([]*actor.Future, len(pids))
	for i, pid := range pids {
		futures[i] = s.as.Root.RequestFuture(pid, &messages.Leave{}, wait)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, f := range futures {
			_ = f.Wait() // a session that cannot answer is stopped below anyway
		}
	}()
	select {
	case <-done:
		return ctx.Err() // nil unless ctx ended as the last futures timed out
	case <-ctx.Done():
		<-done // the futures time out by themselves; no goroutine is left
		return ctx.Err()
	}
}

// Close stops everything at once: no leave, connections closed without a
// close handshake, actors stopped; it returns when every goroutine the
// System started has ended. Idempotent and safe to call during Shutdown.
func (s *System) Close() {
	if s.stopStarted.CompareAndSwap(false, true) {
		s.hardStop()
		close(s.stopDone)
		return
	}
	<-s.stopDone
}

func (s *System) hardStop() {
	s.mu.Lock()
	s.state = stateStopped
	s.mu.Unlock()
	s.sockets.stop()
	s.dialCancel()

	socks := s.allSockets()
	for _, c := range socks {
		c.abortAll()
	}
	var futures []*actor.Future
	s.mu.Lock()
	for _, pid := range s.sessIndex {
		futures = append(futures, s.as.Root.StopFuture(pid))
	}
	s.mu.Unlock()
	for _, c := range socks {
		futures = append(futures, s.as.Root.StopFuture(c.pid))
	}
	for _, f := range futures {
		_ = f.Wait()
	}
	s.wg.Wait()
	s.as.Shutdown()
	// Messages to the actors just stopped became dead letters; the
	// goroutine protoactor starts to throttle their logging ends after
	// one period. Wait it out so Close leaves no goroutine behind.
	time.Sleep(2 * deadLetterThrottle)
}
