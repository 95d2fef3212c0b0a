package chaos

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

// tracker is one subscriber of one session: it keeps the status changes it
// was handed since the last mark and the last state.
type tracker struct {
	f *fleet

	mu       sync.Mutex
	statuses []supervisor.Status // status changes since mark
	last     supervisor.State[Val]
	states   int  // states handed over since the subscription
	ready    bool // last status was Ready
	left     bool // left Ready since mark (a fault was noticed)
	back     bool // Ready again after leaving it
}

func (tr *tracker) on(s supervisor.State[Val]) {
	tr.mu.Lock()
	changed := tr.states == 0 || s.Status != tr.last.Status
	tr.states++
	tr.last = s
	if changed {
		tr.statuses = append(tr.statuses, s.Status)
	}
	wasReady, isReady := tr.ready, s.Status == supervisor.Ready
	tr.ready = isReady
	recovered := false
	if !isReady {
		tr.left = true
	} else if tr.left && !tr.back {
		tr.back = true
		recovered = true
	}
	tr.mu.Unlock()
	switch {
	case isReady && !wasReady:
		tr.f.ready.Add(1)
	case !isReady && wasReady:
		tr.f.ready.Add(-1)
	}
	if recovered {
		tr.f.recovered.Add(1)
	}
	if changed {
		select {
		case tr.f.notify <- struct{}{}:
		default:
		}
	}
}

// mark starts a new fault cycle: the status history is cleared, keeping
// its capacity so a long run does not grow.
func (tr *tracker) mark() {
	tr.mu.Lock()
	tr.statuses = tr.statuses[:0]
	tr.left, tr.back = false, false
	tr.mu.Unlock()
}

// history returns the status changes since mark and the last state.
func (tr *tracker) history() ([]supervisor.Status, supervisor.State[Val], int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]supervisor.Status(nil), tr.statuses...), tr.last, tr.states
}

// fleet is many chaos sessions, each with one tracking subscriber.
type fleet struct {
	sessions []*supervisor.Session[Val]
	trackers []*tracker
	unsubs   []func()

	ready     atomic.Int64 // trackers whose last status is Ready
	recovered atomic.Int64 // trackers back to Ready since the mark
	notify    chan struct{}
}

// newFleet opens n sessions of prefix on e and subscribes to each.
func newFleet(e *env, prefix string, n int) *fleet {
	f := &fleet{notify: make(chan struct{}, 1)}
	for i := range n {
		s := e.session(topic(prefix, i))
		tr := &tracker{f: f}
		f.sessions = append(f.sessions, s)
		f.trackers = append(f.trackers, tr)
		f.unsubs = append(f.unsubs, s.Subscribe(tr.on))
	}
	return f
}

// mark starts a fault cycle on every tracker.
func (f *fleet) mark() {
	f.recovered.Store(0)
	for _, tr := range f.trackers {
		tr.mark()
	}
}

// waitReady waits until every session is Ready, or bound passes; it
// returns how long it waited.
func (f *fleet) waitReady(bound time.Duration) (time.Duration, bool) {
	return f.waitFor(bound, func() bool { return f.ready.Load() == int64(len(f.trackers)) })
}

// waitRecovered waits until every session has left Ready and come back
// since the mark, or bound passes.
func (f *fleet) waitRecovered(bound time.Duration) (time.Duration, bool) {
	return f.waitFor(bound, func() bool { return f.recovered.Load() == int64(len(f.trackers)) })
}

func (f *fleet) waitFor(bound time.Duration, done func() bool) (time.Duration, bool) {
	start := time.Now()
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	for !done() {
		select {
		case <-f.notify:
		case <-deadline.C:
			return time.Since(start), done()
		}
	}
	return time.Since(start), true
}

// unsubscribeAll removes every subscriber (the sessions leave).
func (f *fleet) unsubscribeAll() {
	for _, u := range f.unsubs {
		u()
	}
}

// mem is a measure of the process: goroutines and live heap after a GC.
type mem struct {
	goroutines int
	heap       uint64 // bytes of live heap objects
}

func measure() mem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return mem{goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
}

func (m mem) String() string {
	return fmt.Sprintf("%d goroutines, heap %s", m.goroutines, mib(m.heap))
}

// mib formats bytes in MiB.
func mib(b uint64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
