package phxtest

import (
	"sync"
	"sync/atomic"
	"time"
)

// faults holds the reply faults injected per event.
type faults struct {
	any     atomic.Bool // some fault is set: the hot path checks only this
	mu      sync.RWMutex
	byEvent map[string]replyFault
}

type replyFault struct {
	delay    time.Duration
	withhold bool
}

// AllEvents, given as the event to SetReplyDelay or WithholdReplies, applies
// the fault to every event without a fault of its own (heartbeats excepted:
// see StallHeartbeats).
const AllEvents = "*"

func (s *Server) setFault(event string, f func(*replyFault)) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.byEvent == nil {
		s.faults.byEvent = map[string]replyFault{}
	}
	rf := s.faults.byEvent[event]
	f(&rf)
	if rf == (replyFault{}) {
		delete(s.faults.byEvent, event)
	} else {
		s.faults.byEvent[event] = rf
	}
	s.faults.any.Store(len(s.faults.byEvent) > 0)
}

func (s *Server) replyFault(event string) replyFault {
	if !s.faults.any.Load() {
		return replyFault{}
	}
	s.faults.mu.RLock()
	defer s.faults.mu.RUnlock()
	if len(s.faults.byEvent) == 0 {
		return replyFault{}
	}
	if rf, ok := s.faults.byEvent[event]; ok {
		return rf
	}
	return s.faults.byEvent[AllEvents]
}

// SetReplyDelay delays the replies to pushes of event by d, as a slow
// handler would: the channel (for phx_join, the whole connection) is busy
// meanwhile; broadcasts made by the handler are not delayed. event may be
// "phx_join", "phx_leave", any client event, or AllEvents. 0 removes the
// delay.
func (s *Server) SetReplyDelay(event string, d time.Duration) {
	s.setFault(event, func(rf *replyFault) { rf.delay = max(d, 0) })
}

// WithholdReplies makes the server never reply (on) to pushes of event —
// the handler still runs, a join still joins — or reply again (off).
func (s *Server) WithholdReplies(event string, on bool) {
	s.setFault(event, func(rf *replyFault) { rf.withhold = on })
}

// StallHeartbeats makes every connection stop (true) or resume (false)
// answering heartbeats; connections and channels keep working otherwise.
func (s *Server) StallHeartbeats(on bool) { s.stallHB.Store(on) }
