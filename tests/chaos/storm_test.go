package chaos

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// stormRecoveryBound is the documented bound (fake time) for 10,000
// sessions on 10 sockets to be ready again after a restart when each join
// takes the server 1 ms: 1,000 joins a socket handled one after another
// (Phoenix runs joins on the socket's transport) is 1 s, plus the
// reconnect backoff.
const stormRecoveryBound = 3 * time.Second

// spec: L5, K4, K6a, V1 — a reconnect storm: 10,000 sessions on 10 sockets
// (1,000 channels each) rejoin after the server is killed and restarted.
// The joins are paced: on each connection the joins in flight (sent, not yet
// answered, counted on the wire) never exceed the limit of 32 and reach it
// (paced waves, neither a burst of 1,000 nor one at a time); every session
// is ready again, with the new epoch.
func TestReconnectStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	const sessions, perSocket, limit = 10_000, 1000, 32
	synctest.Test(t, func(t *testing.T) {
		joins := &joinWatch{}
		e := newPipeEnv(t, pipeOpts{
			tap: &wiretap{hook: joins.hook},
			srv: []phxtest.Option{phxtest.WithMaxChannels(perSocket)},
			ep: []supervisor.EndpointOption{supervisor.WithMaxChannelsPerSocket(perSocket),
				supervisor.WithMaxJoinsInFlight(limit)},
		})
		e.app.joinDelay.Store(int64(time.Millisecond))
		start := time.Now()
		f := newFleet(e, "storm", sessions)
		if took, ok := f.waitReady(stormRecoveryBound); !ok {
			t.Fatalf("%d of %d sessions ready after %v", f.ready.Load(), sessions, took)
		}
		maxPer, sent, answered := joins.stats()
		t.Logf("first join of %d sessions on %d sockets: %v; joins in flight per socket at most %d (%d sent, %d answered)",
			sessions, len(e.ep.Stats().Sockets), time.Since(start), maxPer, sent, answered)

		joins.reset()
		e.app.epoch.Store(1)
		f.mark()
		before := measure()
		start = time.Now()
		if err := e.srv.Restart(phxtest.Kill); err != nil {
			t.Fatal(err)
		}
		took, ok := f.waitRecovered(stormRecoveryBound)
		if !ok {
			t.Fatalf("%d of %d sessions back after %v", f.recovered.Load(), sessions, took)
		}
		synctest.Wait()
		took = time.Since(start)
		maxPer, sent, answered = joins.stats()
		after := measure()
		t.Logf("storm: %d sessions rejoined in %v (bound %v); joins in flight per socket at most %d (limit %d); %d joins sent, %d answered",
			sessions, took, stormRecoveryBound, maxPer, limit, sent, answered)
		t.Logf("before the restart: %v; after: %v", before, after)
		if maxPer > limit {
			t.Errorf("%d joins in flight on one socket, limit %d", maxPer, limit)
		}
		if maxPer < limit {
			t.Errorf("at most %d joins in flight on one socket: the storm was not paced in waves of %d", maxPer, limit)
		}
		if sent != sessions || answered != sessions {
			t.Errorf("%d joins sent, %d answered; want %d each (one rejoin per session)", sent, answered, sessions)
		}
		for _, s := range f.sessions {
			if st := s.State(); st.Status != supervisor.Ready || st.Value.Epoch != 1 || st.Value.Joins != 2 {
				t.Fatalf("%s: %v %+v", s.Topic(), st.Status, st.Value)
			}
		}
		if n := e.srv.ChannelCount(); n != sessions {
			t.Errorf("server has %d channels, want %d", n, sessions)
		}
		f.unsubscribeAll()
	})
}
