package supervisor

import (
	"sync"

	"github.com/rvct/phoenix/actors"
)

// Subscribe adds a listener and returns the function that removes it, as
// the seed's subscribe. fn gets the current state at once, before Subscribe
// returns, then every later state in order, on a goroutine of its own
// (never the session's), one call at a time (SPEC M2). A slow fn never
// blocks the session or other subscribers: it may skip intermediate states
// but always gets the latest (SPEC M5). A panic in fn is logged and does not
// stop later states.
//
// The first subscriber mounts the session: it joins the topic (SPEC M1).
// The last unsubscribe unmounts it: after Config.Linger, phx_leave is sent;
// the last state stays readable with State (SPEC M3). fn may be nil to
// mount without listening. unsubscribe is idempotent; after it returns, fn
// gets no new state (a call already running finishes).
func (s *Session[T]) Subscribe(fn func(State[T])) (unsubscribe func()) {
	cancel := func() bool { return true }
	if fn != nil {
		cancel = s.inner.Store().Subscribe(func(snap *actors.Snapshot) { fn(stateOf[T](snap)) })
	}
	s.send(mountMsg)
	var once sync.Once
	return func() {
		once.Do(func() {
			if cancel() {
				s.send(unmountMsg)
			}
		})
	}
}
