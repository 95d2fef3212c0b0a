package supervisor

import (
	"fmt"
	"sync"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
)

// Session is a reactive store of one channel, as the seed's
// session(socket, config): its State holds the channel's value, status and
// error, and the per-action buckets. The first Subscribe joins the topic,
// the last unsubscribe leaves it (SPEC M1, M3). Declare actions with
// NewCall and NewCast. A Session is safe for concurrent use and owns no
// goroutine while idle.
type Session[T any] struct {
	ep    *Endpoint
	inner *actors.Session
}

// newSessionMu makes NewSession's look-up-or-create atomic.
var newSessionMu sync.Mutex

// NewSession returns the endpoint's session for cfg.Topic, creating it with
// cfg. Asking again for a topic returns the existing session as it is, cfg
// ignored (SPEC K6); it is an error (ErrSessionExists) when that session's
// value type is not T. Nothing is sent until the first Subscribe. A bad
// configuration (empty or reserved topic, negative durations) is an error
// matching ErrInvalidOption; a Supervisor that is shutting down gives
// ErrClosed.
func NewSession[T any](ep *Endpoint, cfg Config[T]) (*Session[T], error) {
	if ep == nil {
		return nil, fmt.Errorf("%w: nil endpoint", actors.ErrInvalidConfig)
	}
	newSessionMu.Lock()
	defer newSessionMu.Unlock()
	if v, ok := ep.sessions[cfg.Topic]; ok {
		if s, ok := v.(*Session[T]); ok {
			if s.inner.Stopped() {
				return nil, ErrClosed
			}
			return s, nil
		}
		return nil, fmt.Errorf("%w: topic %q holds another value type (%s, not %T)",
			ErrSessionExists, cfg.Topic, v.(interface{ valueType() string }).valueType(), *new(T))
	}
	acfg := cfg.untyped()
	acfg.Logger = ep.sup.logger
	inner, err := actors.StartSession(ep.sup.sys, ep.inner, acfg)
	if err != nil {
		return nil, err
	}
	s := &Session[T]{ep: ep, inner: inner}
	if ep.sessions == nil {
		ep.sessions = make(map[string]any)
	}
	ep.sessions[cfg.Topic] = s
	return s, nil
}

func (s *Session[T]) valueType() string { return fmt.Sprintf("%T", *new(T)) }

// Topic is the session's topic.
func (s *Session[T]) Topic() string { return s.inner.Topic() }

// Endpoint is the endpoint the session lives on.
func (s *Session[T]) Endpoint() *Endpoint { return s.ep }

// State returns the latest snapshot without blocking. After the last
// unsubscribe it is the last state (SPEC M3).
func (s *Session[T]) State() State[T] { return stateOf[T](s.inner.Store().Current()) }

// SessionStats are a session's counters.
type SessionStats struct {
	// EventsApplied counts events reduced into the value.
	EventsApplied uint64
	// EventsDropped counts events (and join replies) dropped because their
	// payload did not decode or their handler panicked (SPEC E3).
	EventsDropped uint64
	// StatesSkipped counts intermediate states slow subscribers skipped (SPEC M5).
	StatesSkipped uint64
	// Joins counts successful joins and rejoins.
	Joins uint64
}

// Stats returns the session's counters.
func (s *Session[T]) Stats() SessionStats {
	st := s.inner.Store().Stats()
	return SessionStats{
		EventsApplied: st.EventsApplied,
		EventsDropped: st.EventsDropped,
		StatesSkipped: st.StatesSkipped,
		Joins:         st.Joins,
	}
}

// send delivers msg to the session actor unless it has stopped.
func (s *Session[T]) send(msg any) bool {
	if s.inner.Stopped() {
		return false
	}
	s.inner.Send(msg)
	return true
}

// mountMsg and unmountMsg are shared: the messages carry no data.
var (
	mountMsg   = &messages.Mount{}
	unmountMsg = &messages.Unmount{}
)
