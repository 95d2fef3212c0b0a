package chaos

import (
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// maxInboundBacklog is the most frames a socket may have read and handed
// to a session that has not handled them yet. It is a property the client
// must have for memory to stay bounded when a session's reducer is slower
// than the network (issue 7, the flood scenario); the official JavaScript
// client has it for free (it handles each frame before reading the next).
const maxInboundBacklog = 4096

// The minimal form of the flood scenario's failure: a session whose
// reducer takes 50 µs an event, and a server that pushes 20,000 small
// events as fast as it can. The socket's read pump reads on regardless:
// every frame read waits in the session actor's unbounded mailbox, so the
// backlog (frames read minus events applied) grows with the flood instead
// of staying under a bound.
func TestInboundBacklogBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	const events = 20_000
	e := newTCPEnv(t, pipeOpts{})
	cfg := chaosConfig(topic("backlog", 0))
	cfg.Events["tick"] = supervisor.On(func(v *Val, p Tick) Val {
		for start := time.Now(); time.Since(start) < 50*time.Microsecond; {
		}
		return Val{Events: v.Events + 1, Last: p.Seq}
	})
	s, err := supervisor.NewSession(e.ep, cfg)
	if err != nil {
		t.Fatal(err)
	}
	unsub := s.Subscribe(nil)
	defer unsub()
	for s.State().Status != supervisor.Ready {
		time.Sleep(time.Millisecond)
	}
	sampler := startHeapSampler(func() int64 { return int64(e.totals().FramesIn) - int64(s.Stats().EventsApplied) })
	for i := 1; i <= events; i++ {
		if err := e.srv.Broadcast(s.Topic(), "tick", phxtest.JSON(Tick{Seq: i})); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); s.State().Value.Last != events && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	sampler.finish()
	t.Logf("%d events: backlog between the socket's reader and the session up to %d frames (bound %d)",
		events, sampler.peakLag, maxInboundBacklog)
	if got := s.State().Value.Last; got != events {
		t.Fatalf("session reached event %d of %d", got, events)
	}
	if sampler.peakLag > maxInboundBacklog {
		t.Errorf("the socket read %d frames ahead of the session: inbound frames are buffered without bound "+
			"(the read pump never waits for the session actor's mailbox to drain)", sampler.peakLag)
	}
}
