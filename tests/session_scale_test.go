package tests

import (
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Counter is the value of the scale test's sessions: how many ticks arrived.
type Counter struct{ Ticks int }

// spec: V1, L5, K6a — 10,000 sessions on one endpoint (100 sockets of 100
// channels) mount, join, receive an event each and unmount; an idle session
// owns no goroutine, and none is left after Shutdown (synctest.Test fails
// if any goroutine of the bubble outlives it).
func TestSessionTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	const n = 10_000
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, []phxtest.Option{phxtest.WithDemoApp()})
		tick := supervisor.On(func(v *Counter, _ struct{}) Counter { return Counter{Ticks: v.Ticks + 1} })
		sessions := make([]*supervisor.Session[Counter], n)
		unsubs := make([]func(), n)
		base := runtime.NumGoroutine()
		for i := range sessions {
			s, err := supervisor.NewSession(e.ep, supervisor.Config[Counter]{
				Topic:  "room:" + strconv.Itoa(i),
				Value:  &Counter{},
				Events: supervisor.Events[Counter]{"tick": tick},
			})
			require.NoError(t, err)
			sessions[i] = s
		}
		synctest.Wait()
		assert.Less(t, runtime.NumGoroutine()-base, 10, "created sessions own no goroutine")

		for i, s := range sessions {
			unsubs[i] = s.Subscribe(nil)
		}
		synctest.Wait()
		for _, s := range sessions {
			require.Equal(t, supervisor.Ready, s.State().Status, s.Topic())
		}
		assert.Equal(t, 100, e.srv.ConnCount(), "100 sockets of 100 channels")
		assert.Equal(t, n, e.srv.ChannelCount())
		// Joined and idle: the goroutines are the sockets' (read and write
		// pumps) and the in-process server's connections, not the sessions'.
		idle := runtime.NumGoroutine() - base
		t.Logf("goroutines for %d joined idle sessions on %d sockets: %d", n, e.srv.ConnCount(), idle)
		assert.Less(t, idle, 10*e.srv.ConnCount(), "no goroutine per idle session")

		for _, s := range sessions {
			require.NoError(t, e.srv.Broadcast(s.Topic(), "tick", phxtest.JSON(map[string]int{})))
		}
		synctest.Wait()
		for _, s := range sessions {
			require.Equal(t, 1, s.State().Value.Ticks, s.Topic())
		}

		for _, u := range unsubs {
			u()
		}
		synctest.Wait()
		assert.Equal(t, 0, e.srv.ChannelCount(), "every session left")
	})
}
