package actors

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// restartDelayer is a failure that says how long to wait before the restart.
// The socket actor panics with one (a *socketFailure) when its connection
// cannot be made or ends.
type restartDelayer interface {
	RestartDelay() time.Duration
}

// unknownFailureDelay is the restart delay of a socket actor that panicked
// with a value that does not carry its own delay (a bug, not a network
// failure): the last step of the official reconnect schedule.
const unknownFailureDelay = 5 * time.Second

// socketStrategy supervises socket actors: every failure is answered with a
// restart after the delay the failure carries (SPEC K1). It never gives up:
// a socket keeps reconnecting until the System stops. protoactor's own
// exponential strategy grows linearly and has no cap, hence this one.
type socketStrategy struct {
	logger *slog.Logger

	mu      sync.Mutex
	stopped bool
	timers  map[string]*time.Timer // child id -> pending restart
}

var _ actor.SupervisorStrategy = (*socketStrategy)(nil)

func newSocketStrategy(l *slog.Logger) *socketStrategy {
	return &socketStrategy{logger: l, timers: make(map[string]*time.Timer)}
}

// HandleFailure schedules the restart of child after the failure's delay.
func (s *socketStrategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	_ *actor.RestartStatistics, reason any, _ any) {
	delay := unknownFailureDelay
	if d, ok := reason.(restartDelayer); ok {
		delay = d.RestartDelay()
	} else {
		s.logger.Error("phx: socket actor panicked; restarting", "socket", child.Id, "panic", reason)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		sup.StopChildren(child)
		return
	}
	id := child.Id
	if t := s.timers[id]; t != nil {
		t.Stop()
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		s.mu.Lock()
		if s.timers[id] != t || s.stopped {
			s.mu.Unlock()
			return
		}
		delete(s.timers, id)
		s.mu.Unlock()
		sup.RestartChildren(child)
	})
	s.timers[id] = t
}

// pending reports how many restarts are scheduled.
func (s *socketStrategy) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.timers)
}

// stop cancels every pending restart; later failures stop the child.
func (s *socketStrategy) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for id, t := range s.timers {
		t.Stop()
		delete(s.timers, id)
	}
}

// sessionStrategy supervises session actors: a panic that escaped a session
// (a bug; user code is recovered inside the session) resumes it with its
// state kept, and is counted (SPEC V2): one session's crash never touches
// its socket or its siblings.
type sessionStrategy struct {
	logger *slog.Logger
	panics atomic.Uint64
}

var _ actor.SupervisorStrategy = (*sessionStrategy)(nil)

// HandleFailure resumes child and counts the panic.
func (s *sessionStrategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	_ *actor.RestartStatistics, reason any, _ any) {
	s.panics.Add(1)
	s.logger.Warn("phx: session actor panicked; resumed", "session", child.Id, "panic", reason)
	sup.ResumeChildren(child)
}
