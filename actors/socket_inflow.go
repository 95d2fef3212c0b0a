package actors

import (
	"sync/atomic"

	"github.com/rvct/phoenix/messages"
)

// Inbound backpressure: the read pump stops reading while the session it
// just delivered to has more than inflowHigh frames not yet handled, and
// reads again once that session is down to inflowLow. A flood therefore
// holds a bounded number of frames in memory (the TCP window holds the
// rest) and every frame is still delivered and reduced; only subscriber
// states may be skipped (SPEC M5).
const (
	inflowHigh = 512
	inflowLow  = 256
)

// inGauge counts the frames routed to one session and not yet handled by
// it. The socket's read pump adds, the session subtracts.
type inGauge struct {
	n       atomic.Int32
	closed  atomic.Bool                   // the route is gone: never wait on it again
	waiter  atomic.Pointer[chan struct{}] // the read pump waiting on this gauge
	waiting atomic.Bool
}

// inbound is a frame routed to a session whose route has a gauge.
type inbound struct {
	messages.FrameIn
	g *inGauge
	// inline: an event (not a reply), handled on the read pump when the
	// session is idle (see leanMailbox.PostUserMessage).
	inline bool
}

// handled is called by the session for each inbound frame it took.
func (g *inGauge) handled() {
	if g.n.Add(-1) <= inflowLow && g.waiting.Load() {
		g.wake()
	}
}

func (g *inGauge) wake() {
	if w := g.waiter.Load(); w != nil {
		select {
		case *w <- struct{}{}:
		default:
		}
	}
}

// close releases a read pump waiting on g (the session left the socket).
func (g *inGauge) close() {
	g.closed.Store(true)
	g.wake()
}

// wait blocks the read pump while g is above its high mark, until it is
// down to the low mark, the route closes or stop is closed. wake points to
// the pump's own channel (capacity 1), made on demand.
func (g *inGauge) wait(wake *chan struct{}, stop <-chan struct{}) {
	if g.n.Load() <= inflowHigh {
		return
	}
	if *wake == nil {
		*wake = make(chan struct{}, 1)
	}
	g.waiter.Store(wake)
	for {
		g.waiting.Store(true)
		if g.n.Load() <= inflowLow || g.closed.Load() {
			g.waiting.Store(false)
			return
		}
		select {
		case <-*wake:
		case <-stop:
			g.waiting.Store(false)
			return
		}
	}
}
