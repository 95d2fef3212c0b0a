package actors

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// recordHandler keeps log records.
type recordHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	h.mu.Unlock()
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) messages(min slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= min {
			out = append(out, r.Message)
		}
	}
	return out
}

func TestSocketMalformedFramesCountedNotFatal(t *testing.T) {
	// spec: W6 — frames that do not parse are counted, logged (once a
	// second at most) and dropped; the connection and the session keep
	// working, nothing panics.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		rec := &recordHandler{}
		sys := NewSystem(SystemConfig{Logger: slog.New(rec)})
		t.Cleanup(sys.Close)
		ep, err := sys.NewEndpoint(EndpointConfig{URL: "ws://phx.test/socket?token=secret", NetDialContext: srv.dial})
		if err != nil {
			t.Fatal(err)
		}
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc := srv.accept(t)
		waitEvent(t, ev, "joined")
		bad := [][]byte{[]byte("not json"), []byte("[1,2,3]"), []byte(`{"topic":"room:a","event":"x","payload":{}}`),
			[]byte("null"), []byte(`[null,null,"room:a","x"]`), {}}
		for _, b := range bad {
			sc.sendRaw(websocket.TextMessage, b)
		}
		sc.sendRaw(websocket.BinaryMessage, []byte{7, 1, 1})
		sc.sendRaw(websocket.BinaryMessage, []byte{0, 5})
		sc.send(protocol.Frame{Topic: "room:a", Event: "ok", Payload: []byte(`{}`)})
		if f := waitEvent(t, ev, "frame"); f.frame.Event != "ok" {
			t.Fatalf("delivered %q", f.frame.Event)
		}
		st := ep.Stats().Sockets[0]
		if st.DroppedMalformed != uint64(len(bad)+2) || st.Connects != 1 || st.Status != messages.SocketOpen {
			t.Fatalf("stats %+v", st)
		}
		warns := rec.messages(slog.LevelWarn)
		if len(warns) != 1 || !strings.Contains(warns[0], "malformed") {
			t.Fatalf("warnings %q, want one rate-limited malformed-frame warning", warns)
		}
		time.Sleep(2 * time.Second)
		sc.sendRaw(websocket.TextMessage, []byte("[oops"))
		synctest.Wait()
		if n := len(rec.messages(slog.LevelWarn)); n != 2 {
			t.Fatalf("%d warnings after a second burst, want 2", n)
		}
		for _, r := range rec.recs {
			var b bytes.Buffer
			slog.New(slog.NewTextHandler(&b, nil)).Handler().Handle(context.Background(), r)
			if strings.Contains(b.String(), "secret") {
				t.Fatalf("a log line leaks the token: %s", b.String())
			}
		}
	})
}

func TestSocketReadLimitReconnects(t *testing.T) {
	// A message over the read limit closes the connection (1009) with a
	// clear error and reconnects.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, func(c *EndpointConfig) { c.ReadLimit = 1024 })
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc := srv.accept(t)
		waitEvent(t, ev, "joined")
		sc.send(protocol.Frame{Topic: "room:a", Event: "big", Payload: []byte(`"` + strings.Repeat("x", 2000) + `"`)})
		down := waitEvent(t, ev, "down")
		if !errors.Is(down.err, websocket.ErrReadLimit) {
			t.Fatalf("down reason %v, want ErrReadLimit", down.err)
		}
		<-sc.closed
		if sc.code != websocket.CloseMessageTooBig {
			t.Fatalf("client closed with %d, want 1009", sc.code)
		}
		srv.accept(t)
		waitEvent(t, ev, "joined")
	})
}

func TestSocketWriteQueueBounded(t *testing.T) {
	// spec: K7 — one writer, a bounded queue: a stuck connection makes
	// Send fail fast with ErrWriteQueueFull, never block; frames that were
	// queued but never written are reported to their pusher.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		unblock := make(chan struct{})
		defer close(unblock)
		srv.set(func(s *wsServer) {
			s.onFrame = func(_ *srvConn, f protocol.Frame) bool {
				if f.Event == "block" {
					<-unblock // the server stops reading
				}
				return false
			}
		})
		sys, ep := newFixture(t, srv, func(c *EndpointConfig) { c.WriteQueueSize = 4 })
		pid, ev := spawnTestSession(t, sys, ep, "room:a")
		srv.accept(t)
		j := waitEvent(t, ev, "joined")
		l := j.link
		send := func(event string) (string, error) {
			ref := l.NextRef()
			return ref, l.Send(j.gen, &protocol.Frame{Topic: "room:a", Event: event, Ref: ref}, pid)
		}
		if _, err := send("block"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		var refs []string
		for range 5 { // one taken by the stuck writer, four queued
			ref, err := send("x")
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			refs = append(refs, ref)
			synctest.Wait()
		}
		if _, err := send("x"); !errors.Is(err, messages.ErrWriteQueueFull) {
			t.Fatalf("send on a full queue = %v, want ErrWriteQueueFull", err)
		}
		if err := l.Send(j.gen+1, &protocol.Frame{Topic: "room:a", Event: "x"}, pid); !errors.Is(err, messages.ErrNotConnected) {
			t.Fatalf("send on another generation = %v, want ErrNotConnected", err)
		}
		// The stuck write hits its deadline (one heartbeat interval): the
		// connection ends and every unwritten frame is reported.
		time.Sleep(DefaultHeartbeatInterval + time.Second)
		failed := map[string]bool{}
		for len(failed) < len(refs) {
			e := waitEvent(t, ev, "push_failed")
			failed[e.frame.Ref] = true
			var ce *messages.ConnectionError
			if !errors.As(e.err, &ce) {
				t.Fatalf("PushFailed error %v, want a ConnectionError", e.err)
			}
		}
		for _, r := range refs {
			if !failed[r] {
				t.Fatalf("push %s not reported (%v)", r, failed)
			}
		}
		st := ep.Stats().Sockets[0]
		if st.QueueFull < 1 || st.PushesFailed < uint64(len(refs)) { // the heartbeat may have found it full too
			t.Fatalf("stats %+v", st)
		}
	})
}
