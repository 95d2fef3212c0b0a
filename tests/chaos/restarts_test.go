package chaos

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// restartRecoveryBound is the documented bound (fake time, from the start
// of the server's restart) within which every one of 1,000 sessions on 10
// sockets is ready again after a restart: the reconnect backoff's first
// step (10 ms) plus joins paced 32 a socket. The measured figure is
// printed.
const restartRecoveryBound = 500 * time.Millisecond

// spec: K1, K2a, K4, L1, L5, V2, V3 — 1,000 sessions over 10 sockets, with
// a subscriber each, through 20 server restarts alternating kill (no close
// frame) and graceful (close 1012). After each restart every session is
// ready again within restartRecoveryBound; every subscriber is still
// subscribed, saw exactly stale then ready, and holds the latest state; the
// value went through Connect.Ok again (the server's new epoch, one more
// join); goroutines and live heap return to their level after the first
// restart (no growth across the cycles).
func TestRestarts(t *testing.T) {
	const sessions, sockets, restarts = 1000, 10, 20
	synctest.Test(t, func(t *testing.T) {
		e := newPipeEnv(t, pipeOpts{})
		f := newFleet(e, "r", sessions)
		if took, ok := f.waitReady(restartRecoveryBound); !ok {
			t.Fatalf("%d of %d sessions ready after %v", f.ready.Load(), sessions, took)
		}
		if n := len(e.ep.Stats().Sockets); n != sockets {
			t.Fatalf("%d sockets, want %d (100 channels each)", n, sockets)
		}
		var first, last mem
		var worst time.Duration
		for cycle := 1; cycle <= restarts; cycle++ {
			mode, name := phxtest.Kill, "kill"
			if cycle%2 == 0 {
				mode, name = phxtest.Graceful, "graceful 1012"
			}
			e.app.epoch.Store(int64(cycle))
			f.mark()
			reconnects := e.totals().Reconnects
			start := time.Now()
			if err := e.srv.Restart(mode); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.waitRecovered(restartRecoveryBound); !ok {
				t.Fatalf("restart %d (%s): %d of %d sessions recovered within %v",
					cycle, name, f.recovered.Load(), sessions, restartRecoveryBound)
			}
			took := time.Since(start)
			worst = max(worst, took)
			synctest.Wait()
			for i, s := range f.sessions {
				checkRecovered(t, cycle, s, f.trackers[i])
			}
			if t.Failed() {
				return
			}
			if n := e.srv.ChannelCount(); n != sessions {
				t.Fatalf("restart %d: server has %d channels, want %d", cycle, n, sessions)
			}
			m := measure()
			if cycle == 1 {
				first = m
			}
			last = m
			t.Logf("restart %2d (%-13s): all %d sessions ready in %v; reconnects +%d; %v",
				cycle, name, sessions, took, e.totals().Reconnects-reconnects, m)
		}
		tot := e.totals()
		t.Logf("recovery: worst %v over %d restarts (bound %v)", worst, restarts, restartRecoveryBound)
		t.Logf("after restart 1: %v; after restart %d: %v", first, restarts, last)
		t.Logf("socket totals: connects %d, reconnects %d, connect failures %d, disconnects %d, pushes failed %d",
			tot.Connects, tot.Reconnects, tot.ConnectFailures, tot.Disconnects, tot.PushesFailed)
		if tot.Reconnects != sockets*restarts {
			t.Errorf("reconnects %d, want %d (one per socket per restart)", tot.Reconnects, sockets*restarts)
		}
		if last.goroutines > first.goroutines {
			t.Errorf("goroutines grew across the restarts: %d after restart 1, %d after restart %d",
				first.goroutines, last.goroutines, restarts)
		}
		// Live heap after a GC: the same sessions, sockets and subscribers;
		// allow 10% + 1 MiB of noise (pooled buffers, map buckets).
		if limit := first.heap + first.heap/10 + 1<<20; last.heap > limit {
			t.Errorf("heap grew across the restarts: %s after restart 1, %s after restart %d",
				mib(first.heap), mib(last.heap), restarts)
		}
		f.unsubscribeAll()
	})
}

// checkRecovered checks one session after restart number cycle.
func checkRecovered(t *testing.T, cycle int, s *supervisor.Session[Val], tr *tracker) {
	t.Helper()
	st := s.State()
	statuses, last, _ := tr.history()
	if !slices.Equal(statuses, []supervisor.Status{supervisor.Stale, supervisor.Ready}) {
		t.Errorf("restart %d, %s: statuses %v, want [stale ready]", cycle, s.Topic(), statuses)
	}
	if st.Status != supervisor.Ready || st.Error != nil {
		t.Errorf("restart %d, %s: %v %v", cycle, s.Topic(), st.Status, st.Error)
	}
	if last.Value != st.Value || last.Status != st.Status {
		t.Errorf("restart %d, %s: subscriber's last state is not the latest", cycle, s.Topic())
	}
	if st.Value == nil || st.Value.Epoch != cycle || st.Value.Joins != cycle+1 {
		t.Errorf("restart %d, %s: value %+v, want epoch %d and %d joins through Connect.Ok",
			cycle, s.Topic(), st.Value, cycle, cycle+1)
	}
}
