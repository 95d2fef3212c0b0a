package supervisor

import (
	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
)

// State is one immutable snapshot of a session store, with exactly the
// seed's six fields (SPEC S1). A subscriber may keep it: nothing changes a
// State or its maps after it is handed out (SPEC S4). Do not modify the maps;
// they are shared with later states that did not change them.
type State[T any] struct {
	// Value is the current channel state, or nil before one is available.
	Value *T
	// Status is Loading, Ready, Stale or Failed (see the seed's lifecycle).
	Status Status
	// Error is nil while the session is healthy; otherwise its Kind says
	// what went wrong (connect_error, connect_timeout, channel_error,
	// transport, closed) and Cause why.
	Error *Error
	// Processing[action] is true while the latest call of action waits for
	// its reply.
	Processing map[string]bool
	// Errors[action] is the latest call's error reply, decoded into the
	// action's error type as a pointer (read it typed with Call.Error), or
	// nil when clear or when the reply was null.
	Errors map[string]any
	// Timeouts[action] is true when the latest call of action timed out.
	Timeouts map[string]bool
}

// Error is a session's State.Error: Kind and Cause. It implements error.
type Error = messages.StateError

// stateOf views an untyped snapshot as a State[T]; it copies six words and
// allocates nothing.
func stateOf[T any](s *actors.Snapshot) State[T] {
	v, _ := s.Value.(*T)
	return State[T]{
		Value:      v,
		Status:     s.Status,
		Error:      s.Error,
		Processing: s.Processing,
		Errors:     s.Errors,
		Timeouts:   s.Timeouts,
	}
}
