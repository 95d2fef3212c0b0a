package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// soakCallTimeout is the soak's call timeout; a call not ended soakLostAfter
// after it started is counted lost (unanswered, SPEC L3).
const (
	soakCallTimeout = 2 * time.Second
	soakLostAfter   = soakCallTimeout + 3*time.Second
)

// soakFault is one periodic fault: it starts, and ends after its duration.
type soakFault struct {
	name  string
	start func(e *env) func() // returns the function that ends it (nil: nothing to end)
	lasts time.Duration
}

// soakFaults cycle through the soak, one every period.
func soakFaults(hb time.Duration) []soakFault {
	return []soakFault{
		{name: "tcp reset", start: func(e *env) func() { e.proxy.ResetAll(); return nil }},
		{name: "server killed and restarted", start: func(e *env) func() { _ = e.srv.Restart(phxtest.Kill); return nil }},
		{name: "blackhole", lasts: 5 * hb / 2, start: func(e *env) func() {
			e.proxy.Blackhole(true)
			return func() { e.proxy.Blackhole(false) }
		}},
		{name: "server restarted gracefully (1012)", start: func(e *env) func() { _ = e.srv.Restart(phxtest.Graceful); return nil }},
		{name: "latency 150 ms", lasts: time.Second, start: func(e *env) func() {
			_ = e.proxy.SetLatency(150 * time.Millisecond)
			return func() { _ = e.proxy.SetLatency(0) }
		}},
		{name: "channels crash", start: func(e *env) func() {
			for i := range 10 {
				e.srv.CrashChannel(topic("soak", i*7))
			}
			return nil
		}},
		{name: "hostile frames", lasts: time.Second, start: func(e *env) func() {
			h := e.srv.StartHostile(phxtest.HostileConfig{Every: 50 * time.Millisecond})
			return func() { h.Stop() }
		}},
		{name: "throttled to 64 KiB/s", lasts: time.Second, start: func(e *env) func() {
			_ = e.proxy.Throttle(64 << 10)
			return func() { _ = e.proxy.Throttle(0) }
		}},
	}
}

// soakCalls tracks the soak's calls: how they ended, and the ones still
// waiting with their start time.
type soakCalls struct {
	ok, timeout, transport, other atomic.Int64

	mu       sync.Mutex
	inflight map[uint64]time.Time
	next     uint64
	lastErr  error
}

func (c *soakCalls) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	c.inflight[c.next] = time.Now()
	return c.next
}

func (c *soakCalls) end(id uint64, err error) {
	c.mu.Lock()
	delete(c.inflight, id)
	c.mu.Unlock()
	switch {
	case err == nil:
		c.ok.Add(1)
	case errors.Is(err, supervisor.ErrTimeout):
		c.timeout.Add(1)
	case errors.Is(err, supervisor.ErrChannelLost), errors.Is(err, supervisor.ErrNotConnected),
		errors.Is(err, supervisor.ErrWriteQueueFull), errors.Is(err, supervisor.ErrBufferFull):
		c.transport.Add(1)
	default:
		c.other.Add(1)
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
	}
}

// lost counts the calls waiting longer than soakLostAfter, and returns the
// number of calls waiting and the age of the oldest.
func (c *soakCalls) lost() (n, waiting int, oldest time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	waiting = len(c.inflight)
	for _, at := range c.inflight {
		age := time.Since(at)
		oldest = max(oldest, age)
		if age > soakLostAfter {
			n++
		}
	}
	return n, waiting, oldest
}

func (c *soakCalls) String() string {
	return fmt.Sprintf("calls ok %d, timeout %d, transport %d, other %d", c.ok.Load(), c.timeout.Load(), c.transport.Load(), c.other.Load())
}

// spec: K1, K2, K4, L1, L3, W6, V2, V3 — a bounded soak, off by default
// (go test -run Soak ./tests/chaos -soak=2m): 300 sessions on 3 sockets on
// loopback TCP behind the fault proxy, under steady calls and events, with
// a fault every 2 s (reset, kill, blackhole, graceful restart, latency,
// channel crashes, hostile frames, throttling). It reports reconnects,
// calls by outcome, heap and goroutines over time; no call may go
// unanswered, and at the end every session is ready and answers, with the
// goroutines back to their level before the load.
func TestSoak(t *testing.T) {
	if *soakFor <= 0 {
		t.Skip("soak off: run with -soak=2m")
	}
	const (
		sessions = 300
		workers  = 20
		hb       = 500 * time.Millisecond
		period   = 2 * time.Second
	)
	dur := *soakFor
	e := newTCPEnv(t, pipeOpts{ep: []supervisor.EndpointOption{supervisor.WithHeartbeatInterval(hb),
		supervisor.WithDialTimeout(2 * time.Second)}})
	f := newFleet(e, "soak", sessions)
	defer f.unsubscribeAll()
	if _, ok := f.waitReady(10 * time.Second); !ok {
		t.Fatalf("%d of %d sessions ready", f.ready.Load(), sessions)
	}
	echo := make([]*supervisor.Call[Echo, Echo, []byte, Val], sessions)
	for i, s := range f.sessions {
		echo[i] = supervisor.NewCall[Echo, Echo, []byte](s, "soak_echo", "echo", supervisor.WithCallTimeout(soakCallTimeout))
	}
	base := measure()
	t.Logf("soak for %v: %d sessions on %d sockets, %d callers, a fault every %v; before: %v",
		dur, sessions, len(e.ep.Stats().Sockets), workers, period, base)

	calls := &soakCalls{inflight: map[uint64]time.Time{}}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				i := rng.IntN(sessions)
				id := calls.begin()
				r, err := echo[i].Call(context.Background(), Echo{ID: int(id)})
				if err == nil && r.ID != int(id) {
					err = fmt.Errorf("echo %d answered %d", id, r.ID)
				}
				calls.end(id, err)
				time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
			}
		}()
	}
	var ticks atomic.Int64
	wg.Add(1)
	go func() { // events: a tick to a random session every 2 ms
		defer wg.Done()
		rng := rand.New(rand.NewPCG(99, 7))
		for ctx.Err() == nil {
			if e.srv.Broadcast(topic("soak", rng.IntN(sessions)), "tick", phxtest.JSON(Tick{Seq: int(ticks.Add(1))})) == nil {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()

	faults := soakFaults(hb)
	report := max(dur/10, 2*time.Second)
	start := time.Now()
	nextFault, nextReport := start.Add(period), start.Add(report)
	var stop func()
	var stopAt time.Time
	nFaults := 0
	peak := base
	for ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		now := time.Now()
		if stop != nil && now.After(stopAt) {
			stop()
			stop = nil
		}
		if stop == nil && now.After(nextFault) && now.Before(start.Add(dur-period)) {
			ft := faults[nFaults%len(faults)]
			nFaults++
			stop, stopAt = ft.start(e), now.Add(ft.lasts)
			nextFault = now.Add(period)
		}
		if now.After(nextReport) {
			m := measure()
			peak.heap, peak.goroutines = max(peak.heap, m.heap), max(peak.goroutines, m.goroutines)
			tot := e.totals()
			lost, waiting, oldest := calls.lost()
			t.Logf("+%-4v faults %2d | %v | waiting %d (oldest %v, lost %d) | reconnects %d, heartbeat timeouts %d, malformed %d | ready %d/%d | %v",
				now.Sub(start).Round(time.Second), nFaults, calls, waiting, oldest.Round(time.Millisecond), lost,
				tot.Reconnects, tot.HeartbeatTimeouts, tot.DroppedMalformed, f.ready.Load(), sessions, m)
			if lost > 0 {
				t.Errorf("%d calls unanswered for more than %v", lost, soakLostAfter)
			}
			nextReport = now.Add(report)
		}
	}
	if stop != nil {
		stop()
	}
	wg.Wait()
	if _, waiting, oldest := calls.lost(); waiting > 0 {
		t.Errorf("%d calls still waiting after the load stopped (oldest %v)", waiting, oldest)
	}
	if calls.other.Load() > 0 {
		t.Errorf("%d calls ended with an unexpected error, e.g. %v", calls.other.Load(), calls.lastErr)
	}
	if calls.ok.Load() == 0 {
		t.Error("no call succeeded")
	}

	// After the faults: every session ready and answering.
	took, ok := f.waitReady(15 * time.Second)
	if !ok {
		t.Fatalf("%d of %d sessions ready 15s after the last fault", f.ready.Load(), sessions)
	}
	for i := range echo {
		if _, err := echo[i].Call(context.Background(), Echo{ID: i}); err != nil {
			t.Errorf("%s after the soak: %v", f.sessions[i].Topic(), err)
		}
	}
	end := measure()
	tot := e.totals()
	t.Logf("end: %d faults, %v, 0 unanswered; reconnects %d, heartbeat timeouts %d, connect failures %d, malformed %d, unknown topic %d, stale %d; %d ticks sent",
		nFaults, calls, tot.Reconnects, tot.HeartbeatTimeouts, tot.ConnectFailures, tot.DroppedMalformed,
		tot.DroppedUnknownTopic, tot.DroppedStaleJoinRef, ticks.Load())
	t.Logf("all ready %v after the load; heap before %s, peak %s, end %s; goroutines before %d, peak %d, end %d",
		took, mib(base.heap), mib(peak.heap), mib(end.heap), base.goroutines, peak.goroutines, end.goroutines)
	if end.goroutines > base.goroutines+2 {
		t.Errorf("goroutines: %d before the load, %d after", base.goroutines, end.goroutines)
	}
	if end.heap > 2*base.heap+8<<20 {
		t.Errorf("heap grew: %s before, %s after", mib(base.heap), mib(end.heap))
	}
}
