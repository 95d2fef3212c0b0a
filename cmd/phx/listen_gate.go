package main

import (
	"reflect"
	"sync"

	"github.com/rvct/phoenix/supervisor"
)

// stateID identifies a State: two states the session published one after
// the other never share all of these (a state is published only when one of
// them changed; values and bucket maps are copied on write).
type stateID struct {
	value   any
	status  supervisor.Status
	err     *supervisor.Error
	p, e, t uintptr
}

func idOf[T any](s supervisor.State[T]) stateID {
	return stateID{value: s.Value, status: s.Status, err: s.Error, p: mapID(s.Processing), e: mapID(s.Errors), t: mapID(s.Timeouts)}
}

func mapID(m any) uintptr {
	v := reflect.ValueOf(m)
	if !v.IsValid() || v.IsNil() {
		return 0
	}
	return uintptr(v.UnsafePointer())
}

// stateGate orders one session's state lines with its event lines.
//
// States reach a subscriber on a goroutine of its own, a little after the
// session published them; events are seen on the session's actor, in order
// with the publishing. So an event handler that prints at once could print
// an event before the state published just before it (the "ready" of its
// join, say). The gate fixes that: before an event line, the event handler
// prints the session's current state if it has not been printed yet (fromActor)
// and marks it; the subscriber (fromSubscriber) then skips every state up to
// and including the marked one (they are older or the same), and prints the
// later ones. If the marked state never reaches the subscriber (a slow
// subscriber skips intermediate states, SPEC M5), the mark is dropped as soon
// as the subscriber is handed the session's current state.
type stateGate struct {
	mu        sync.Mutex
	last      stateID
	printed   bool
	marker    stateID
	hasMarker bool
}

// fromActor is called, on the session's actor, with the current state
// before an event line; it reports whether to print that state first. The
// caller prints while holding the gate (see do).
func (g *stateGate) fromActor(cur stateID) bool {
	if g.printed && cur == g.last {
		return false
	}
	g.last, g.printed = cur, true
	g.marker, g.hasMarker = cur, true
	return true
}

// fromSubscriber is called with a state handed to the subscriber and the
// session's current state; it reports whether to print the handed one.
func (g *stateGate) fromSubscriber(got, cur stateID) bool {
	if g.hasMarker {
		switch {
		case got == g.marker:
			g.hasMarker = false
			return false
		case got != cur:
			return false // older than the mark (or skipped past it)
		}
		g.hasMarker = false
	}
	if g.printed && got == g.last {
		return false
	}
	g.last, g.printed = got, true
	return true
}

// do runs f holding the gate, so that decisions and prints keep one order.
func (g *stateGate) do(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f()
}
