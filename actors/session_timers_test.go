package actors

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// tickProbe forwards laneTicks to the test.
type tickProbe struct{ ticks chan struct{} }

func (p tickProbe) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(laneTick); ok {
		p.ticks <- struct{}{}
	}
}

func TestTimerLaneFiresInOrderAndSkipsCancelled(t *testing.T) {
	// spec: A4, J3 — every timer of the session's lane delivers its
	// message at its deadline, in order; a cancelled one never does; an
	// idle lane holds no timer.
	synctest.Test(t, func(t *testing.T) {
		sys := NewSystem(SystemConfig{})
		defer sys.Close()
		probe := tickProbe{ticks: make(chan struct{}, 16)}
		pid := sys.Root().Spawn(actor.PropsFromProducer(func() actor.Actor { return probe }))
		p := &actorPort{sys: sys, self: pid}
		var mu sync.Mutex
		var got []any
		handle := func(msg any) any {
			mu.Lock()
			got = append(got, msg)
			mu.Unlock()
			return nil
		}
		const d = 10 * time.Second
		p.after(d, joinTimedOut{ref: "1"})() // a session without calls keeps no idle lane
		if p.lane != nil {
			t.Fatal("the lane of a session without calls, idle, is kept")
		}
		p.after(d, callTimedOut{}) // from now on the session makes calls
		p.after(d, "a")
		time.Sleep(time.Second)
		cancelB := p.after(d, "b")
		p.after(d, "c")
		other := p.after(3*time.Second, "other duration") // a timer of its own
		cancelB()
		other()
		if p.lane == nil || p.lane.live != 3 {
			t.Fatalf("lane %+v, want 3 pending", p.lane)
		}
		time.Sleep(d - time.Second) // a is due
		<-probe.ticks
		p.fire(handle)
		time.Sleep(time.Second) // c is due (b was cancelled)
		<-probe.ticks
		p.fire(handle)
		synctest.Wait()
		if len(got) != 3 || got[0] != (callTimedOut{}) || got[1] != "a" || got[2] != "c" {
			t.Fatalf("fired %v, want [callTimedOut a c]", got)
		}
		if l := p.lane; l == nil || l.armed || l.live != 0 || len(l.q) != 0 {
			t.Fatalf("a later lane (calls) is kept idle and disarmed: %+v", l)
		}
		select {
		case <-probe.ticks:
			t.Fatal("a tick after everything fired")
		default:
		}
	})
}

func TestTimerLaneCompactsCancelled(t *testing.T) {
	// Calls that end long before their timeout leave no pile of entries.
	synctest.Test(t, func(t *testing.T) {
		sys := NewSystem(SystemConfig{})
		defer sys.Close()
		pid := sys.Root().Spawn(actor.PropsFromProducer(func() actor.Actor { return tickProbe{ticks: make(chan struct{}, 1)} }))
		p := &actorPort{sys: sys, self: pid}
		keep := p.after(time.Minute, "kept")
		for range 10_000 {
			p.after(time.Minute, callTimedOut{})()
		}
		if n := len(p.lane.q) - p.lane.head; n > 130 {
			t.Fatalf("%d entries queued for 1 pending timer", n)
		}
		keep()
		if l := p.lane; l == nil || l.armed || len(l.q) != 0 {
			t.Fatalf("after the last timer was cancelled: %+v", l)
		}
	})
}
