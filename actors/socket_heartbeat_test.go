package actors

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// offsets returns the heartbeat times relative to t0.
func offsets(hbs []hbRec, t0 time.Time) []time.Duration {
	out := make([]time.Duration, len(hbs))
	for i, h := range hbs {
		out[i] = h.at.Sub(t0)
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSocketHeartbeatEveryInterval(t *testing.T) {
	// spec: K2 — a heartbeat every interval, exactly the official frame,
	// and other traffic neither resets nor replaces it.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc := srv.accept(t)
		t0 := time.Now()
		waitEvent(t, ev, "joined")
		// Traffic both ways every 5 s.
		for range 19 {
			time.Sleep(5 * time.Second)
			sc.send(protocol.Frame{Topic: "room:a", Event: "tick", Payload: []byte(`{}`)})
			l, _ := ep.Place("room:a", nil)
			_ = l.Send(1, &protocol.Frame{Topic: "room:a", Event: "ping", Ref: l.NextRef()}, nil)
		}
		synctest.Wait()
		hbs := srv.heartbeatLog()
		want := []time.Duration{30 * time.Second, 60 * time.Second, 90 * time.Second}
		if got := offsets(hbs, t0); !equalDurations(got, want) {
			t.Fatalf("heartbeats at %v, want %v", got, want)
		}
		for _, h := range hbs {
			f := h.frame
			if f.JoinRef != "" || f.Ref == "" || f.Topic != "phoenix" || f.Event != "heartbeat" || string(f.Payload) != "{}" {
				t.Fatalf("heartbeat frame %+v, want [null,ref,\"phoenix\",\"heartbeat\",{}]", f)
			}
		}
		if st := ep.Stats().Sockets[0]; st.HeartbeatsSent != 3 || st.HeartbeatTimeouts != 0 || st.Connects != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestSocketHeartbeatNextOnlyAfterReply(t *testing.T) {
	// spec: K2 — the next heartbeat is scheduled one interval after the
	// reply, not after the send; the round trip is measured.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.stallHB = true })
		_, ep := newFixture(t, srv, nil)
		if _, err := ep.Place("room:a", nil); err != nil {
			t.Fatal(err)
		}
		sc := srv.accept(t)
		t0 := time.Now()
		time.Sleep(30*time.Second + 10*time.Second)
		hbs := srv.heartbeatLog()
		if len(hbs) != 1 {
			t.Fatalf("%d heartbeats by 40 s, want 1", len(hbs))
		}
		sc.reply(hbs[0].frame, "ok", `{}`) // answered 10 s late
		synctest.Wait()
		if rtt := ep.Stats().Sockets[0].HeartbeatRTT; rtt != 10*time.Second {
			t.Fatalf("heartbeat RTT %v, want 10s", rtt)
		}
		srv.set(func(s *wsServer) { s.stallHB = false })
		time.Sleep(35 * time.Second)
		synctest.Wait()
		want := []time.Duration{30 * time.Second, 70 * time.Second}
		if got := offsets(srv.heartbeatLog(), t0); !equalDurations(got, want) {
			t.Fatalf("heartbeats at %v, want %v", got, want)
		}
		st := ep.Stats().Sockets[0]
		if st.Connects != 1 || st.HeartbeatTimeouts != 0 {
			t.Fatalf("a late but in-time reply must keep the connection: %+v", st)
		}
	})
}

func TestSocketHeartbeatTimeoutReconnects(t *testing.T) {
	// spec: K2 — a missing reply closes the connection (1000 "heartbeat
	// timeout") at the next tick and reconnects within one interval; the new
	// connection starts with no pending heartbeat.
	// spec: K1 — the reconnect goes through the supervisor's restart.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.stallHB = true })
		sys, ep := newFixture(t, srv, nil)
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc1 := srv.accept(t)
		t0 := time.Now()
		waitEvent(t, ev, "joined")
		sc2ch := make(chan *srvConn, 1)
		go func() { sc2ch <- srv.accept(t) }()
		time.Sleep(60*time.Second - time.Millisecond)
		synctest.Wait()
		select {
		case <-sc1.closed:
			t.Fatal("closed before the second tick")
		default:
		}
		srv.set(func(s *wsServer) { s.stallHB = false }) // the next connection is answered
		time.Sleep(time.Millisecond)
		<-sc1.closed
		if sc1.code != websocket.CloseNormalClosure {
			t.Fatalf("client closed with %d, want 1000", sc1.code)
		}
		down := waitEvent(t, ev, "down")
		var ce *messages.ConnectionError
		if !asConnErr(down.err, &ce) || ce.Op != "heartbeat" {
			t.Fatalf("SocketDown reason %v, want a heartbeat ConnectionError", down.err)
		}
		sc2 := <-sc2ch
		if d := time.Since(t0); d != 60*time.Second+10*time.Millisecond {
			t.Fatalf("reconnected at %v, want 60.01s (first backoff step)", d)
		}
		t1 := time.Now()
		waitEvent(t, ev, "joined") // rejoined on the new connection (K4)
		time.Sleep(65 * time.Second)
		synctest.Wait()
		var second []time.Duration
		for _, h := range srv.heartbeatLog() {
			if h.conn == sc2 {
				second = append(second, h.at.Sub(t1))
			}
		}
		if !equalDurations(second, []time.Duration{30 * time.Second, 60 * time.Second}) {
			t.Fatalf("heartbeats on the new connection at %v, want [30s 1m0s]", second)
		}
		st := ep.Stats().Sockets[0]
		if st.HeartbeatTimeouts != 1 || st.Connects != 2 || st.Reconnects != 1 || st.Gen != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}
