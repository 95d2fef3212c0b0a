package actors

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// fixture: a System and an endpoint dialing the pipe server.
func newFixture(t *testing.T, srv *wsServer, mod func(*EndpointConfig)) (*System, *Endpoint) {
	t.Helper()
	sys := NewSystem(SystemConfig{})
	cfg := EndpointConfig{URL: "ws://phx.test/socket", NetDialContext: srv.dial}
	if mod != nil {
		mod(&cfg)
	}
	ep, err := sys.NewEndpoint(cfg)
	if err != nil {
		t.Fatalf("NewEndpoint: %v", err)
	}
	t.Cleanup(sys.Close)
	return sys, ep
}

func TestSocketJoinsAndRoutesFrames(t *testing.T) {
	// spec: K1, K3, K5
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc := srv.accept(t)
		join := sc.next(t)
		if join.Event != protocol.EventJoin || join.Topic != "room:a" || join.JoinRef != join.Ref {
			t.Fatalf("first frame = %+v, want a join whose join_ref is its ref", join)
		}
		j := waitEvent(t, ev, "joined")
		sc.send(protocol.Frame{Topic: "room:a", Event: "new_msg", Payload: []byte(`{"body":"hi"}`)})
		got := waitEvent(t, ev, "frame")
		if got.frame.Event != "new_msg" || string(got.frame.Payload) != `{"body":"hi"}` || got.gen != j.gen {
			t.Fatalf("routed frame = %+v gen %d", got.frame, got.gen)
		}
		// Unknown topic and a stale join_ref: dropped and counted, never delivered.
		sc.send(protocol.Frame{Topic: "room:other", Event: "new_msg", Payload: []byte(`{}`)})
		sc.send(protocol.Frame{JoinRef: "999", Ref: "999", Topic: "room:a", Event: protocol.EventClose, Payload: []byte(`{}`)})
		sc.send(protocol.Frame{Ref: "12345", Topic: "phoenix", Event: protocol.EventReply, Payload: []byte(`{"status":"ok","response":{}}`)})
		sc.send(protocol.Frame{JoinRef: join.JoinRef, Topic: "room:a", Event: "after", Payload: []byte(`{}`)})
		got = waitEvent(t, ev, "frame")
		if got.frame.Event != "after" {
			t.Fatalf("delivered %q, want only the frame of the current join", got.frame.Event)
		}
		synctest.Wait() // the socket actor counts the unknown heartbeat ref on its own goroutine
		st := ep.Stats().Sockets[0]
		if st.DroppedUnknownTopic != 1 || st.DroppedStaleJoinRef != 1 || st.DroppedUnknownRef != 1 {
			t.Fatalf("drops unknown=%d stale=%d unknown ref=%d, want 1, 1, 1",
				st.DroppedUnknownTopic, st.DroppedStaleJoinRef, st.DroppedUnknownRef)
		}
		if st.Status != messages.SocketOpen || st.Gen != 1 || st.Connects != 1 || st.FramesIn < 4 || st.FramesOut < 1 {
			t.Fatalf("stats = %+v", st)
		}
		// Refs increase (K3).
		l := j.link
		a, b := l.NextRef(), l.NextRef()
		if !(atoi(b) > atoi(a) && atoi(a) > atoi(join.Ref)) {
			t.Fatalf("refs %s, %s after join ref %s do not increase", a, b, join.Ref)
		}
		if err := sys.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

var _ = time.Second

func asConnErr(err error, target **messages.ConnectionError) bool {
	return errors.As(err, target)
}
