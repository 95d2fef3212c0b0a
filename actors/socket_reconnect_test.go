package actors

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// eventLog records a socket's status events.
type eventLog struct {
	mu  sync.Mutex
	evs []messages.SocketEvent
}

func (l *eventLog) add(e messages.SocketEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []messages.SocketEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]messages.SocketEvent(nil), l.evs...)
}

func TestSocketBackoffScheduleAndReset(t *testing.T) {
	// spec: K1 — refused connects retry after 10, 50, 100, 150, 200, 250,
	// 500, 1000, 2000 ms, then 5000 ms; a refused upgrade carries its HTTP
	// status (403).
	// spec: K2a — the tries reset after a successful connect.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.refuse = http.StatusForbidden })
		var log eventLog
		_, ep := newFixture(t, srv, func(c *EndpointConfig) { c.OnStatus = log.add })
		t0 := time.Now()
		if _, err := ep.Place("room:a", nil); err != nil {
			t.Fatal(err)
		}
		steps := []time.Duration{10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000}
		total := time.Duration(0)
		for _, s := range steps {
			total += s * time.Millisecond
		}
		time.Sleep(total - time.Millisecond)
		synctest.Wait()
		srv.mu.Lock()
		times := append([]time.Time(nil), srv.dialTimes...)
		srv.mu.Unlock()
		if len(times) != len(steps) {
			t.Fatalf("%d dials, want %d", len(times), len(steps))
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d != steps[i-1]*time.Millisecond {
				t.Fatalf("delay before try %d = %v, want %v", i+1, d, steps[i-1]*time.Millisecond)
			}
		}
		if times[0] != t0 {
			t.Fatalf("first dial at %v, want at once", times[0].Sub(t0))
		}
		var refused *messages.ConnectionError
		for _, e := range log.all() {
			if e.Status == messages.SocketClosed {
				if !asConnErr(e.Err, &refused) || refused.HTTPCode != http.StatusForbidden || refused.Op != "dial" {
					t.Fatalf("closed event error %v, want a dial error with HTTP 403", e.Err)
				}
			}
		}
		// The server comes back: the next try (5 s later) connects.
		srv.set(func(s *wsServer) { s.refuse = 0 })
		time.Sleep(time.Millisecond)
		sc := srv.accept(t)
		// A drop now retries after the first step again: the tries were reset.
		sc.kill()
		sc2 := srv.accept(t)
		srv.mu.Lock()
		n := len(srv.dialTimes)
		d := srv.dialTimes[n-1].Sub(srv.dialTimes[n-2])
		srv.mu.Unlock()
		if d != 10*time.Millisecond {
			t.Fatalf("reconnect after a success waited %v, want 10ms", d)
		}
		_ = sc2
		synctest.Wait()
		st := ep.Stats().Sockets[0]
		if st.ConnectFailures != uint64(len(steps)) || st.Connects != 2 || st.Disconnects != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestSocketBackoffJitterAndCustomSchedule(t *testing.T) {
	// spec: K1 — the schedule is configurable, with optional jitter.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.refuse = http.StatusServiceUnavailable })
		_, ep := newFixture(t, srv, func(c *EndpointConfig) {
			c.Backoff = protocol.Backoff{Steps: []time.Duration{time.Second}, Jitter: 0.5}
		})
		if _, err := ep.Place("room:a", nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		srv.mu.Lock()
		times := append([]time.Time(nil), srv.dialTimes...)
		srv.mu.Unlock()
		if len(times) < 20 {
			t.Fatalf("%d dials in 30 s with a 1 s ±50%% schedule", len(times))
		}
		distinct := map[time.Duration]bool{}
		for i := 1; i < len(times); i++ {
			d := times[i].Sub(times[i-1])
			if d < 500*time.Millisecond || d > 1500*time.Millisecond {
				t.Fatalf("jittered delay %v outside [0.5s, 1.5s]", d)
			}
			distinct[d] = true
		}
		if len(distinct) < 5 {
			t.Fatalf("jitter gave only %d distinct delays", len(distinct))
		}
	})
}

func TestSocketServerClosesReconnect(t *testing.T) {
	// spec: K2a — a server close with 1000 (disconnect, idle timeout), 1001,
	// 1011, 1012, or a kill with no close frame (1006) is followed by a
	// reconnect, and the sessions hear why.
	// spec: V2 — a dead connection restarts one socket; its session rejoins.
	for _, code := range []int{1000, 1001, 1011, 1012, 1006} {
		t.Run(http.StatusText(0)+itoaTest(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newWSServer(t)
				sys, ep := newFixture(t, srv, nil)
				_, ev := spawnTestSession(t, sys, ep, "room:a")
				sc := srv.accept(t)
				waitEvent(t, ev, "joined")
				if code == 1006 {
					sc.kill()
				} else {
					sc.closeWith(code)
				}
				down := waitEvent(t, ev, "down")
				var ce *messages.ConnectionError
				if !asConnErr(down.err, &ce) || ce.Op != "read" || ce.CloseCode != code {
					t.Fatalf("SocketDown reason %v, want a read error with close code %d", down.err, code)
				}
				t0 := time.Now()
				if d := srv.accept(t).at.Sub(t0); d != 10*time.Millisecond {
					t.Fatalf("reconnected after %v, want 10ms", d)
				}
				j := waitEvent(t, ev, "joined")
				if j.gen != 2 {
					t.Fatalf("rejoined on gen %d, want 2", j.gen)
				}
			})
		})
	}
}

func itoaTest(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestSocketDialTimeout(t *testing.T) {
	// spec: K8 — a dial timeout bounds the handshake; K1 — then it retries.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.hang = true })
		var log eventLog
		_, ep := newFixture(t, srv, func(c *EndpointConfig) {
			c.DialTimeout = 3 * time.Second
			c.OnStatus = log.add
		})
		t0 := time.Now()
		if _, err := ep.Place("room:a", nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3*time.Second + 5*time.Millisecond)
		synctest.Wait()
		var closed []messages.SocketEvent
		for _, e := range log.all() {
			if e.Status == messages.SocketClosed {
				closed = append(closed, e)
			}
		}
		if len(closed) != 1 {
			t.Fatalf("%d failures by 3.005 s, want 1 (events %+v)", len(closed), log.all())
		}
		var ce *messages.ConnectionError
		if !asConnErr(closed[0].Err, &ce) || ce.Op != "dial" || closed[0].RetryIn != 10*time.Millisecond {
			t.Fatalf("failure %+v", closed[0])
		}
		srv.set(func(s *wsServer) { s.hang = false })
		sc := srv.accept(t)
		if d := sc.at.Sub(t0); d != 3*time.Second+10*time.Millisecond {
			t.Fatalf("connected at %v, want 3.01s", d)
		}
	})
}

func TestSocketParamsTokenHeaderEachConnect(t *testing.T) {
	// spec: W1, W1a, K8 — params and token functions are evaluated at every
	// connect; extra headers are sent; vsn=2.0.0 is always there.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		n := 0
		_, ep := newFixture(t, srv, func(c *EndpointConfig) {
			c.Params = func() url.Values { n++; return url.Values{"token": {"t" + itoaTest(n)}} }
			c.AuthToken = func() string { return "1234" }
			c.Header = http.Header{"X-Test": {"yes"}}
		})
		if _, err := ep.Place("room:a", nil); err != nil {
			t.Fatal(err)
		}
		sc := srv.accept(t)
		check := func(token string) {
			srv.mu.Lock()
			r := srv.lastReq
			srv.mu.Unlock()
			q := r.URL.Query()
			if r.URL.Path != "/socket/websocket" || q.Get("vsn") != "2.0.0" || q.Get("token") != token {
				t.Fatalf("request %s, want /socket/websocket?token=%s&vsn=2.0.0", r.URL, token)
			}
			if r.Header.Get("X-Test") != "yes" {
				t.Fatalf("header X-Test missing")
			}
			if got := r.Header.Get("Sec-Websocket-Protocol"); got != "phoenix, base64url.bearer.phx.MTIzNA" {
				t.Fatalf("subprotocols %q", got)
			}
		}
		check("t1")
		sc.kill()
		srv.accept(t)
		check("t2")
	})
}
