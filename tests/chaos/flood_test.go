package chaos

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// heapSampler samples the heap while a scenario runs: the peak of the heap
// as allocated (garbage included) every 10 ms, and the live heap after a GC
// every 250 ms.
type heapSampler struct {
	stop     chan struct{}
	done     chan struct{}
	peak     uint64 // HeapAlloc
	peakLive uint64 // HeapAlloc right after a GC
	samples  int
	lag      func() int64 // optional: a backlog to sample too
	peakLag  int64
}

func startHeapSampler(lag func() int64) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{}), lag: lag}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
			if n%25 == 0 {
				runtime.GC()
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapAlloc)
			if n%25 == 0 {
				h.peakLive = max(h.peakLive, ms.HeapAlloc)
			}
			h.samples++
			if h.lag != nil {
				h.peakLag = max(h.peakLag, h.lag())
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() {
	close(h.stop)
	<-h.done
}

// calmGroup is sessions under steady, light load during a flood: each
// makes an echo call and gets a tick every 50 ms; it keeps the latencies.
type calmGroup struct {
	name     string
	sessions []*supervisor.Session[Val]
	ticks    []atomic.Int64
	ok, fail atomic.Int64

	mu  sync.Mutex
	lat []time.Duration
}

func (g *calmGroup) run(ctx context.Context, wg *sync.WaitGroup, srv *phxtest.Server) {
	g.ticks = make([]atomic.Int64, len(g.sessions))
	for i, s := range g.sessions {
		echo := echoCall(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				start := time.Now()
				r, err := echo.Call(context.Background(), Echo{ID: n})
				if err != nil || r.ID != n {
					g.fail.Add(1)
				} else {
					g.ok.Add(1)
				}
				d := time.Since(start)
				g.mu.Lock()
				g.lat = append(g.lat, d)
				g.mu.Unlock()
				_ = srv.Broadcast(s.Topic(), "tick", phxtest.JSON(Tick{Seq: int(g.ticks[i].Add(1))}))
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
}

// check reports the group's figures and checks every call succeeded and
// every tick arrived.
func (g *calmGroup) check(t *testing.T, maxLatency time.Duration) {
	t.Helper()
	g.mu.Lock()
	slices.Sort(g.lat)
	n := len(g.lat)
	p50, p99, worst := g.lat[n/2], g.lat[n*99/100], g.lat[n-1]
	g.mu.Unlock()
	t.Logf("%s: %d calls ok, %d failed; latency p50 %v, p99 %v, max %v", g.name, g.ok.Load(), g.fail.Load(),
		p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond))
	if g.fail.Load() != 0 || g.ok.Load() == 0 {
		t.Errorf("%s: %d calls failed, %d ok", g.name, g.fail.Load(), g.ok.Load())
	}
	if worst > maxLatency {
		t.Errorf("%s: calls took up to %v during the flood (allowed %v)", g.name, worst, maxLatency)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i, s := range g.sessions {
		want := int(g.ticks[i].Load())
		for time.Now().Before(deadline) {
			if v := s.State().Value; v.Events == want && v.Last == want {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if v := s.State().Value; v.Events != want || v.Last != want {
			t.Errorf("%s: value %+v, want all %d ticks", s.Topic(), v, want)
		}
	}
}

// framesIn sums the frames read by the sockets of ep.
func framesIn(ep *supervisor.Endpoint) uint64 {
	var n uint64
	for _, k := range ep.Stats().Sockets {
		n += k.FramesIn
	}
	return n
}

// spec: M5, K7, V2 — on real loopback TCP, 100,000 events of 1 KiB
// (about 100 MiB) flood one session whose subscriber takes 20 ms per
// state, while nine sessions on the same socket and nine on another socket
// make calls and get their own events. The live heap stays bounded (far
// below the flood), the slow subscriber skips intermediate states and ends
// on the latest one, and the other sessions get every event and every
// reply: on the other socket as fast as without the flood, on the shared
// socket after the flood frames queued ahead of theirs.
func TestFloodSlowSubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	const (
		events = 100_000
		pad    = 1000
		window = 2_000 // frames the producer may be ahead of the client's reader
		others = 9
	)
	e := newTCPEnv(t, pipeOpts{})
	flooded := e.session(topic("flood", 0))
	var (
		slowMu    sync.Mutex
		slowSeen  int
		slowLast  supervisor.State[Val]
		slowReady = make(chan struct{})
		once      sync.Once
	)
	unsub := flooded.Subscribe(func(s supervisor.State[Val]) {
		slowMu.Lock()
		slowSeen++
		slowLast = s
		slowMu.Unlock()
		if s.Status == supervisor.Ready {
			once.Do(func() { close(slowReady) })
			time.Sleep(20 * time.Millisecond) // a slow subscriber
		}
	})
	defer unsub()
	same := newFleet(e, "calm", others)
	defer same.unsubscribeAll()
	// A second pool to the same server: its own socket.
	ep2, err := e.sup.Endpoint(e.url)
	if err != nil {
		t.Fatal(err)
	}
	apart := newFleet(&env{t: t, ep: ep2}, "apart", others)
	defer apart.unsubscribeAll()
	<-slowReady
	for _, f := range []*fleet{same, apart} {
		if _, ok := f.waitReady(5 * time.Second); !ok {
			t.Fatal("sessions not ready")
		}
	}
	base := measure()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	groups := []*calmGroup{
		{name: "9 sessions on the flooded socket", sessions: same.sessions},
		{name: "9 sessions on another socket", sessions: apart.sessions},
	}
	for _, g := range groups {
		g.run(ctx, &wg, e.srv)
	}

	// The backlog between the socket's reader and the flooded session:
	// frames read but not yet reduced.
	sampler := startHeapSampler(func() int64 {
		return int64(framesIn(e.ep)) - int64(flooded.Stats().EventsApplied)
	})
	start := time.Now()
	payload := strings.Repeat("x", pad)
	for i := 1; i <= events; i++ {
		if err := e.srv.Broadcast(flooded.Topic(), "tick", phxtest.JSON(Tick{Seq: i, Pad: payload})); err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 { // keep the in-process server's queue bounded
			for int64(i)-int64(framesIn(e.ep)) > window {
				time.Sleep(time.Millisecond)
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for flooded.State().Value.Last != events && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	floodTook := time.Since(start)
	cancel()
	wg.Wait()
	// The slow subscriber catches up with the latest state.
	for time.Now().Before(deadline) {
		slowMu.Lock()
		caught := slowLast.Value != nil && slowLast.Value.Last == events
		slowMu.Unlock()
		if caught {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	sampler.finish()
	end := measure()

	st := flooded.State()
	stats := flooded.Stats()
	slowMu.Lock()
	seen, last := slowSeen, slowLast
	slowMu.Unlock()
	t.Logf("flood: %d events of %d B (%s) in %v (%.0f events/s)", events, pad, mib(uint64(events*(pad+40))),
		floodTook, float64(events)/floodTook.Seconds())
	t.Logf("slow subscriber: %d states handed over, %d skipped; ends on event %d of %d", seen, stats.StatesSkipped, last.Value.Last, events)
	t.Logf("heap: before %s; during the flood peak %s allocated, peak live %s (%d samples); after %s",
		mib(base.heap), mib(sampler.peak), mib(sampler.peakLive), sampler.samples, mib(end.heap))
	t.Logf("backlog between the socket's reader and the flooded session: up to %d frames", sampler.peakLag)

	if st.Value.Last != events || st.Value.Events != events || stats.EventsApplied != events {
		t.Errorf("flooded session: value %+v, applied %d; want all %d events", st.Value, stats.EventsApplied, events)
	}
	if last.Value == nil || last.Value.Last != events || last.Status != supervisor.Ready {
		t.Errorf("slow subscriber ends on %+v, want the latest state (event %d)", last.Value, events)
	}
	if stats.StatesSkipped == 0 || seen >= events/10 {
		t.Errorf("slow subscriber saw %d states (%d skipped): it should skip most", seen, stats.StatesSkipped)
	}
	// 100 MiB went through; the live heap may hold the read buffers, the
	// subscriber's queue (16 states) and the frames in flight in the
	// window, not the flood.
	const allowed = 24 << 20
	if sampler.peakLive > base.heap+allowed {
		t.Errorf("live heap reached %s during the flood (base %s): not bounded", mib(sampler.peakLive), mib(base.heap))
	}
	if sampler.peakLag > maxInboundBacklog {
		t.Errorf("backlog of %d frames between the reader and the session (bound %d)", sampler.peakLag, maxInboundBacklog)
	}
	groups[0].check(t, 2*time.Second)
	groups[1].check(t, time.Second)
	if tot := e.totals(); tot.Disconnects != 0 || tot.DroppedMalformed != 0 {
		t.Errorf("sockets: %d disconnects, %d malformed during the flood", tot.Disconnects, tot.DroppedMalformed)
	}
}
