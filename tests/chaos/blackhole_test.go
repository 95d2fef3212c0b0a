package chaos

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

// socketLog records the socket status events of an endpoint with the time
// they happened.
type socketLog struct {
	mu     sync.Mutex
	events []timedEvent
	closed chan struct{} // signalled on every SocketClosed
}

type timedEvent struct {
	at time.Time
	ev supervisor.SocketEvent
}

func newSocketLog() *socketLog { return &socketLog{closed: make(chan struct{}, 1)} }

func (l *socketLog) handler(ev supervisor.SocketEvent) {
	l.mu.Lock()
	l.events = append(l.events, timedEvent{at: time.Now(), ev: ev})
	l.mu.Unlock()
	if ev.Status == supervisor.SocketClosed {
		select {
		case l.closed <- struct{}{}:
		default:
		}
	}
}

// firstClosedAfter returns the first SocketClosed event at or after t.
func (l *socketLog) firstClosedAfter(t time.Time) (timedEvent, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.ev.Status == supervisor.SocketClosed && !e.at.Before(t) {
			return e, true
		}
	}
	return timedEvent{}, false
}

// blackholeCase is the blackhole scenario on one transport.
type blackholeCase struct {
	hb    time.Duration // heartbeat interval
	slack time.Duration // scheduling noise allowed on the bounds (0 under synctest)
	e     *env
	f     *fleet
	hbs   *heartbeatLog
	log   *socketLog
}

// run: a blackhole (the connection stays open, nothing flows) longer than
// two heartbeat intervals. The socket notices one interval after the
// heartbeat that went unanswered (so within two intervals of the start),
// every session goes stale, and all recover when traffic flows again.
func (c *blackholeCase) run(t *testing.T) {
	hb, e, f := c.hb, c.e, c.f
	if took, ok := f.waitReady(hb); !ok {
		t.Fatalf("%d sessions ready after %v", f.ready.Load(), took)
	}
	// One heartbeat answered, then the blackhole starts mid-interval.
	time.Sleep(hb + 3*hb/10)
	before := e.totals()
	f.mark()
	start := time.Now()
	e.proxy.Blackhole(true)

	var detected timedEvent
	deadline := time.After(2*hb + c.slack + hb)
	for found := false; !found; {
		select {
		case <-c.log.closed:
			detected, found = c.log.firstClosedAfter(start)
		case <-deadline:
			t.Fatalf("no disconnect within %v of the blackhole", time.Since(start))
		}
	}
	var ce *supervisor.ConnectionError
	if !errors.As(detected.ev.Err, &ce) || ce.Op != "heartbeat" {
		t.Fatalf("socket closed with %v, want a heartbeat timeout", detected.ev.Err)
	}
	missed, ok := c.hbs.lastBefore(detected.at)
	if !ok {
		t.Fatal("no heartbeat written before the disconnect")
	}
	sinceMissed, sinceStart := detected.at.Sub(missed), detected.at.Sub(start)
	t.Logf("blackhole at +0; unanswered heartbeat written at +%v; dead connection noticed at +%v, %v after that heartbeat (interval %v)",
		missed.Sub(start), sinceStart, sinceMissed, hb)
	if sinceMissed < hb-c.slack || sinceMissed > hb+c.slack {
		t.Errorf("noticed %v after the unanswered heartbeat, want one interval (%v)", sinceMissed, hb)
	}
	if sinceStart > 2*hb+c.slack {
		t.Errorf("noticed %v after the blackhole began, want at most two intervals (%v)", sinceStart, 2*hb)
	}

	// Every session goes stale, with the value kept (SPEC L1).
	if _, ok := f.waitFor(hb, func() bool { return f.ready.Load() == 0 }); !ok {
		t.Fatalf("%d sessions still ready after the disconnect", f.ready.Load())
	}
	for _, s := range f.sessions {
		if st := s.State(); st.Status != supervisor.Stale || st.Value == nil || st.Value.Joins != 1 {
			t.Fatalf("%s during the blackhole: %v %+v", s.Topic(), st.Status, st.Value)
		}
	}

	// The blackhole lasts two and a half intervals; then traffic flows.
	if rest := start.Add(5 * hb / 2).Sub(time.Now()); rest > 0 {
		time.Sleep(rest)
	}
	lift := time.Now()
	e.proxy.Blackhole(false)
	took, ok := f.waitRecovered(hb + c.slack)
	if !ok {
		t.Fatalf("%d of %d sessions ready %v after the blackhole ended", f.recovered.Load(), len(f.sessions), took)
	}
	after := e.totals()
	t.Logf("blackhole lifted at +%v; all %d sessions ready %v later", lift.Sub(start), len(f.sessions), took)
	t.Logf("heartbeat timeouts %d, reconnects %d, connect failures %d during the blackhole",
		after.HeartbeatTimeouts-before.HeartbeatTimeouts, after.Reconnects-before.Reconnects,
		after.ConnectFailures-before.ConnectFailures)
	if n := after.HeartbeatTimeouts - before.HeartbeatTimeouts; n != 1 {
		t.Errorf("%d heartbeat timeouts, want 1", n)
	}
	for _, s := range f.sessions {
		if st := s.State(); st.Status != supervisor.Ready || st.Value.Joins != 2 {
			t.Errorf("%s after the blackhole: %v %+v", s.Topic(), st.Status, st.Value)
		}
	}
	f.unsubscribeAll()
}

// spec: K2, K1, L1 — blackhole on the fake clock (exact): heartbeat 10 s,
// blackhole 25 s.
func TestBlackhole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &blackholeCase{hb: 10 * time.Second, hbs: &heartbeatLog{}, log: newSocketLog()}
		c.e = newPipeEnv(t, pipeOpts{proxy: true, tap: &wiretap{hook: c.hbs.hook}, ep: []supervisor.EndpointOption{
			supervisor.WithHeartbeatInterval(c.hb), supervisor.WithStatusHandler(c.log.handler)}})
		c.f = newFleet(c.e, "bh", 20)
		c.run(t)
	})
}

// spec: K2, K1, L1 — blackhole on real loopback TCP (a half-open
// connection: the kernel keeps both ends open): heartbeat 400 ms, blackhole
// 1 s.
func TestBlackholeTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	c := &blackholeCase{hb: 400 * time.Millisecond, slack: 250 * time.Millisecond, hbs: &heartbeatLog{}, log: newSocketLog()}
	c.e = newTCPEnv(t, pipeOpts{tap: &wiretap{hook: c.hbs.hook}, ep: []supervisor.EndpointOption{
		supervisor.WithHeartbeatInterval(c.hb), supervisor.WithStatusHandler(c.log.handler)}})
	c.f = newFleet(c.e, "bh", 20)
	c.run(t)
}
