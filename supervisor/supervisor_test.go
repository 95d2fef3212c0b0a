package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/phxtest"
)

// statusLog collects socket events.
type statusLog struct {
	mu  sync.Mutex
	evs []SocketEvent
}

func (l *statusLog) add(e SocketEvent) { l.mu.Lock(); l.evs = append(l.evs, e); l.mu.Unlock() }
func (l *statusLog) all() []SocketEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]SocketEvent(nil), l.evs...)
}

// pipeFixture: a phxtest pipe server with the demo app and a recorder, a
// Supervisor and an endpoint dialing it. Call inside a synctest bubble.
func pipeFixture(t *testing.T, srvOpts []phxtest.Option, opts ...EndpointOption) (*phxtest.Server, *phxtest.Recorder, *Supervisor, *Endpoint, *statusLog) {
	t.Helper()
	rec := phxtest.NewRecorder()
	srv := phxtest.NewPipeServer(append([]phxtest.Option{phxtest.WithDemoApp(), phxtest.WithRecorder(rec)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	sup := New()
	t.Cleanup(func() { _ = sup.Close() })
	log := &statusLog{}
	ep, err := sup.Endpoint(srv.URL(), append([]EndpointOption{WithNetDialContext(srv.DialContext), WithStatusHandler(log.add)}, opts...)...)
	if err != nil {
		t.Fatalf("Endpoint: %v", err)
	}
	return srv, rec, sup, ep, log
}

type roomValue struct{}

// mount creates and subscribes a session on topic and waits until ready.
func mount(t *testing.T, ep *Endpoint, topic string) *Session[roomValue] {
	t.Helper()
	s, err := NewSession(ep, Config[roomValue]{Topic: topic})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(s.Subscribe(nil))
	waitStatus(t, s, Ready)
	return s
}

func waitStatus(t *testing.T, s *Session[roomValue], want Status) {
	t.Helper()
	for range 10000 {
		synctest.Wait()
		if s.State().Status == want {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("stats %+v: session %s is %v, want %v", s.Endpoint().Stats(), s.Topic(), s.State().Status, want)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for range 10000 {
		synctest.Wait()
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not met after 10 s")
}

func TestSupervisorShutdownLeavesAndClosesNormally(t *testing.T) {
	// spec: K9, V3 — against phxtest: every channel left (phx_leave), then a
	// normal close (1000), and nothing left running.
	// spec: V1 — one actor system hosts the sockets and sessions.
	synctest.Test(t, func(t *testing.T) {
		srv, rec, sup, ep, _ := pipeFixture(t, nil)
		mount(t, ep, "room:a")
		mount(t, ep, "room:b")
		st := sup.Stats()
		tot := st.Totals()
		if st.Sessions != 2 || len(st.Endpoints) != 1 || st.Endpoints[0].Channels != 2 ||
			len(st.Endpoints[0].Sockets) != 1 || tot.Connects != 1 || tot.FramesIn < 2 || tot.FramesOut < 2 {
			t.Fatalf("stats %+v", st)
		}
		if err := sup.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		leaves := rec.Filter(func(r phxtest.Record) bool {
			return r.Dir == phxtest.FromClient && phxtest.Event("", protocol.EventLeave)(r)
		})
		if len(leaves) != 2 {
			t.Fatalf("server saw %d phx_leave, want 2", len(leaves))
		}
		closes := rec.Filter(func(r phxtest.Record) bool { return r.Dir == phxtest.FromClient && r.IsClose() })
		if len(closes) != 1 || closes[0].CloseCode != websocket.CloseNormalClosure || closes[0].Time.Before(leaves[1].Time) {
			t.Fatalf("client closes %v, want one 1000 after the leaves", closes)
		}
		if err := sup.Shutdown(context.Background()); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}
		if err := sup.Close(); err != nil {
			t.Fatalf("Close after Shutdown: %v", err)
		}
		if _, err := sup.Endpoint(srv.URL()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Endpoint after Shutdown = %v, want ErrClosed", err)
		}
	})
}

func TestSupervisorReconnectsAfterServerFaults(t *testing.T) {
	// spec: K2a — 1000 (server disconnect), 1012 (graceful restart) and a
	// kill (no close frame) are each followed by a reconnect; the status
	// handler reports why. spec: K4, V2 — the session goes stale, then
	// ready again on the new connection.
	synctest.Test(t, func(t *testing.T) {
		srv, _, sup, ep, log := pipeFixture(t, nil)
		s := mount(t, ep, "room:a")
		var mu sync.Mutex
		var seen []Status
		defer s.Subscribe(func(st State[roomValue]) { mu.Lock(); seen = append(seen, st.Status); mu.Unlock() })()
		faults := []struct {
			code int
			do   func()
		}{
			{1000, func() {
				for _, c := range srv.Conns() {
					c.Close(websocket.CloseNormalClosure, "") // as a server disconnect or idle timeout
				}
			}},
			{1012, func() { _ = srv.Restart(phxtest.Graceful) }},
			{1006, func() { _ = srv.Restart(phxtest.Kill) }},
		}
		for i, f := range faults {
			f.do()
			waitUntil(t, func() bool { return sup.Stats().Totals().Reconnects == uint64(i+1) })
			waitStatus(t, s, Ready)
		}
		stale := 0
		mu.Lock()
		for _, st := range seen {
			if st == Stale {
				stale++
			}
		}
		mu.Unlock()
		if stale < 3 {
			t.Fatalf("statuses %v: want the session stale after each fault", seen)
		}
		var codes []int
		for _, e := range log.all() {
			var ce *ConnectionError
			if e.Status == SocketClosed && errors.As(e.Err, &ce) {
				codes = append(codes, ce.CloseCode)
			}
		}
		if len(codes) != 3 || codes[0] != 1000 || codes[1] != 1012 || codes[2] != 1006 {
			t.Fatalf("close codes reported %v, want [1000 1012 1006]", codes)
		}
	})
}

func TestSupervisorHeartbeatStallReconnects(t *testing.T) {
	// spec: K2 — against phxtest: stalled heartbeat replies end the
	// connection at the next tick and a new one is made; the RTT is exposed.
	synctest.Test(t, func(t *testing.T) {
		srv, _, sup, ep, log := pipeFixture(t, nil, WithHeartbeatInterval(5*time.Second))
		s := mount(t, ep, "room:a")
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if sup.Stats().Totals().HeartbeatsSent != 1 {
			t.Fatalf("stats %+v", sup.Stats().Totals())
		}
		srv.StallHeartbeats(true)
		time.Sleep(10 * time.Second) // tick at 10 s sends, tick at 15 s times out
		srv.StallHeartbeats(false)
		waitUntil(t, func() bool { return sup.Stats().Totals().Reconnects == 1 })
		waitStatus(t, s, Ready)
		tot := sup.Stats().Totals()
		if tot.HeartbeatTimeouts != 1 || tot.Reconnects != 1 {
			t.Fatalf("stats %+v", tot)
		}
		var hb *ConnectionError
		for _, e := range log.all() {
			if e.Status == SocketClosed {
				if !errors.As(e.Err, &hb) || hb.Op != "heartbeat" {
					t.Fatalf("closed because %v, want a heartbeat timeout", e.Err)
				}
			}
		}
		if hb == nil {
			t.Fatal("no closed event")
		}
	})
}

func TestSupervisorRefusedConnect(t *testing.T) {
	// spec: K1 — a refused connect (HTTP 403) is retried on the backoff
	// schedule; the error carries the HTTP status.
	synctest.Test(t, func(t *testing.T) {
		srv, _, _, ep, log := pipeFixture(t, nil)
		_ = srv.RefuseConnects(phxtest.RefuseForbidden)
		s, err := NewSession(ep, Config[roomValue]{Topic: "room:a"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Subscribe(nil)()
		time.Sleep(60 * time.Millisecond) // tries at 0, 10 ms, 60 ms
		synctest.Wait()
		var fails []SocketEvent
		for _, e := range log.all() {
			if e.Status == SocketClosed {
				fails = append(fails, e)
			}
		}
		if len(fails) != 3 || fails[0].RetryIn != 10*time.Millisecond || fails[1].RetryIn != 50*time.Millisecond {
			t.Fatalf("failures %+v", fails)
		}
		var ce *ConnectionError
		if !errors.As(fails[0].Err, &ce) || ce.HTTPCode != http.StatusForbidden {
			t.Fatalf("error %v, want HTTP 403", fails[0].Err)
		}
		_ = srv.RefuseConnects(phxtest.RefuseNone)
		waitStatus(t, s, Ready)
	})
}

func TestSupervisorTooManyChannelsMoves(t *testing.T) {
	// spec: K6a — against phxtest's per-socket cap: a topic refused with
	// "too many channels joined" joins on another socket.
	synctest.Test(t, func(t *testing.T) {
		_, _, sup, ep, _ := pipeFixture(t, []phxtest.Option{phxtest.WithMaxChannels(2)})
		for i := range 3 {
			mount(t, ep, "room:"+strconv.Itoa(i))
		}
		st := sup.Stats().Endpoints[0]
		if len(st.Sockets) != 2 || st.Sockets[0].Channels != 2 || st.Sockets[1].Channels != 1 {
			t.Fatalf("sockets %+v", st.Sockets)
		}
	})
}

func TestEndpointOptionsValidated(t *testing.T) {
	sup := New(WithLogger(slog.New(slog.DiscardHandler)))
	defer sup.Close()
	bad := []EndpointOption{
		WithParams(nil), WithAuthToken(nil), WithDialTimeout(0), WithHeartbeatInterval(-time.Second),
		WithReconnectBackoff(protocol.Backoff{}), WithReconnectBackoff(protocol.Backoff{Steps: []time.Duration{1}, Jitter: 2}),
		WithMaxChannelsPerSocket(0), WithWriteQueueSize(-1), WithReadLimit(0), WithNetDialContext(nil),
		WithMaxJoinsInFlight(0), WithStatusHandler(nil),
	}
	for i, o := range bad {
		if _, err := sup.Endpoint("ws://x/socket", o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("option %d: err %v, want ErrInvalidOption", i, err)
		}
	}
	for _, u := range []string{"", "ftp://x/socket", "ws://"} {
		if _, err := sup.Endpoint(u); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("url %q: err %v, want ErrInvalidOption", u, err)
		}
	}
	ep, err := sup.Endpoint("wss://example.com/socket", WithStaticParams(map[string][]string{"token": {"x"}}),
		WithHeader(http.Header{"X-A": {"1"}}), WithVsn1(), WithTLSConfig(nil),
		WithReconnectBackoff(protocol.Backoff{Steps: []time.Duration{time.Second}, Jitter: 0.1}))
	if err != nil {
		t.Fatal(err)
	}
	if ep.ID() != "wss://example.com/socket" || ep.Supervisor() != sup {
		t.Fatalf("endpoint %q", ep.ID())
	}
	if st := sup.Stats(); len(st.Endpoints) != 1 || st.Endpoints[0].Channels != 0 || st.Sessions != 0 {
		t.Fatalf("stats %+v", st)
	}
}
