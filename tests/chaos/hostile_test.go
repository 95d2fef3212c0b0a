package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// drops are the client counters hostile frames move.
type drops struct {
	malformed, unknownTopic, staleJoin uint64 // socket counters (SPEC W6, K5)
	unknownRef                         uint64 // socket counter: heartbeat replies to no pending heartbeat
	eventsDropped                      uint64 // summed over the sessions (SPEC E3)
	hostileApplied                     int    // "hostile" events that decoded, summed over the sessions
	connects, disconnects              uint64
	panics                             uint64
}

func readDrops(e *env, sessions []*supervisor.Session[Val]) drops {
	st := e.sup.Stats()
	tot := st.Totals()
	d := drops{malformed: tot.DroppedMalformed, unknownTopic: tot.DroppedUnknownTopic, staleJoin: tot.DroppedStaleJoinRef,
		unknownRef: tot.DroppedUnknownRef, connects: tot.Connects, disconnects: tot.Disconnects, panics: st.SessionPanics}
	for _, s := range sessions {
		d.eventsDropped += s.Stats().EventsDropped
		if v := s.State().Value; v != nil {
			d.hostileApplied += v.Hostile
		}
	}
	return d
}

func (d drops) sub(b drops) drops {
	return drops{
		malformed: d.malformed - b.malformed, unknownTopic: d.unknownTopic - b.unknownTopic,
		staleJoin: d.staleJoin - b.staleJoin, unknownRef: d.unknownRef - b.unknownRef, eventsDropped: d.eventsDropped - b.eventsDropped,
		hostileApplied: d.hostileApplied - b.hostileApplied,
		connects:       d.connects - b.connects, disconnects: d.disconnects - b.disconnects, panics: d.panics - b.panics,
	}
}

// checkAccounted compares what the client counted with what was sent, kind
// by kind, and reports every frame dropped without being counted.
func checkAccounted(t *testing.T, sent phxtest.HostileCounts, got drops) {
	t.Helper()
	t.Logf("hostile frames sent: %v (%d)", sent, sent.Total())
	t.Logf("client counted: malformed %d, unknown topic %d, stale join_ref %d, unknown ref %d, events dropped %d, large events applied %d; connects +%d, disconnects +%d, session panics %d",
		got.malformed, got.unknownTopic, got.staleJoin, got.unknownRef, got.eventsDropped, got.hostileApplied, got.connects, got.disconnects, got.panics)
	check := func(what string, counted, want uint64) {
		if counted != want {
			t.Errorf("%s: counted %d, sent %d", what, counted, want)
		}
	}
	check("malformed (SPEC W6)", got.malformed, sent.Of(phxtest.HostileMalformed))
	check("unknown topic (SPEC K5)", got.unknownTopic, sent.Of(phxtest.HostileUnknownTopic))
	check("stale join_ref (SPEC K5)", got.staleJoin, sent.Of(phxtest.HostileStaleJoin))
	check("payloads that do not decode (SPEC E3)", got.eventsDropped, sent.Of(phxtest.HostileBadPayload))
	check("large events applied", uint64(got.hostileApplied), sent.Of(phxtest.HostileLarge))
	if got.panics != 0 {
		t.Errorf("%d session panics", got.panics)
	}
	// Every frame is either applied or dropped and counted, replies to
	// refs the client never sent included.
	if n := sent.Of(phxtest.HostileUnknownRef); got.unknownRef != n {
		t.Errorf("%d replies to refs the client never sent, %d counted (SocketStats.DroppedUnknownRef counts the "+
			"heartbeat-topic ones; a reply on a joined topic to no pending push is dropped by the session "+
			"without any counter moving)", n, got.unknownRef)
	}
}

// checkOthersWork checks that every session still answers a call and
// applies a new event.
func checkOthersWork(t *testing.T, e *env, sessions []*supervisor.Session[Val]) {
	t.Helper()
	for i, s := range sessions {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := echoCall(s).Call(ctx, Echo{ID: i})
		cancel()
		if err != nil || r.ID != i {
			t.Errorf("%s: echo call %+v, %v", s.Topic(), r, err)
		}
		before := s.State().Value.Events
		if err := e.srv.Broadcast(s.Topic(), "tick", phxtest.JSON(Tick{Seq: 1000 + i})); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); s.State().Value.Events == before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if st := s.State(); st.Status != supervisor.Ready || st.Value.Events != before+1 || st.Value.Last != 1000+i {
			t.Errorf("%s after hostile frames: %v %+v", s.Topic(), st.Status, st.Value)
		}
	}
}

// spec: W6, K5, E3, V2 — the whole hostile catalogue (malformed JSON, wrong
// arities and types, truncated binary frames, frames for unjoined topics
// and stale joins, replies to unknown refs, payloads of the wrong type, a
// 512 KiB event) sent to a joined session: nothing panics, the connection
// stays up, every session keeps working, and each frame is counted where
// its kind says.
func TestHostileFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logBuffer{}
		e := newPipeEnv(t, pipeOpts{sup: []supervisor.Option{supervisor.WithLogger(logs.logger())},
			ep: []supervisor.EndpointOption{supervisor.WithReadLimit(1 << 20)}})
		f := newFleet(e, "hostile", 10)
		if _, ok := f.waitReady(time.Second); !ok {
			t.Fatal("sessions not ready")
		}
		target := f.sessions[0]
		conn := e.srv.Conns()[0]
		ch := conn.Channel(target.Topic())
		frames := phxtest.HostileFrames(phxtest.HostileTarget{Topic: target.Topic(), JoinRef: ch.JoinRef(), LargeSize: 512 << 10})
		before := readDrops(e, f.sessions)
		sent, err := conn.SendHostile(frames)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		got := readDrops(e, f.sessions).sub(before)
		checkAccounted(t, sent, got)
		if got.connects != 0 || got.disconnects != 0 {
			t.Errorf("the connection did not survive: connects +%d, disconnects +%d", got.connects, got.disconnects)
		}
		checkOthersWork(t, e, f.sessions)
		t.Logf("log: %d lines, %d about malformed frames (rate-limited to one a second):\n%s", logs.lines(), logs.count("dropped a malformed frame"), logs)
		if n := logs.count("dropped a malformed frame"); n != 1 {
			t.Errorf("%d malformed-frame log lines for one burst, want 1", n)
		}
		f.unsubscribeAll()
	})
}

// spec: W6, K1 — the read limit is configurable and enforced: a message
// over it closes the connection with 1009 and a clear error (a
// *ConnectionError whose cause is websocket.ErrReadLimit), the client
// reconnects and every session is ready again; frames before it are
// counted as usual.
func TestHostileReadLimit(t *testing.T) {
	const limit = 64 << 10
	synctest.Test(t, func(t *testing.T) {
		rec := phxtest.NewRecorder()
		log := newSocketLog()
		e := newPipeEnv(t, pipeOpts{srv: []phxtest.Option{phxtest.WithRecorder(rec)},
			ep: []supervisor.EndpointOption{supervisor.WithReadLimit(limit), supervisor.WithStatusHandler(log.handler)}})
		f := newFleet(e, "limit", 5)
		if _, ok := f.waitReady(time.Second); !ok {
			t.Fatal("sessions not ready")
		}
		target := f.sessions[0]
		conn := e.srv.Conns()[0]
		frames := phxtest.HostileFrames(phxtest.HostileTarget{Topic: target.Topic(),
			JoinRef: conn.Channel(target.Topic()).JoinRef(), OversizeSize: 4 * limit})
		f.mark()
		before := readDrops(e, f.sessions)
		start := time.Now()
		sent, err := conn.SendHostile(frames)
		if err != nil {
			t.Fatal(err)
		}
		took, ok := f.waitRecovered(time.Second)
		if !ok {
			t.Fatalf("%d of %d sessions back after the oversized message", f.recovered.Load(), len(f.sessions))
		}
		got := readDrops(e, f.sessions).sub(before)
		closed, ok := log.firstClosedAfter(start)
		if !ok {
			t.Fatal("no disconnect")
		}
		var ce *supervisor.ConnectionError
		if !errors.As(closed.ev.Err, &ce) || ce.Op != "read" || !errors.Is(closed.ev.Err, websocket.ErrReadLimit) {
			t.Errorf("disconnect error %v, want a read ConnectionError wrapping websocket.ErrReadLimit", closed.ev.Err)
		}
		if !strings.Contains(fmt.Sprint(closed.ev.Err), "read limit") {
			t.Errorf("error %q does not say it was the read limit", closed.ev.Err)
		}
		codes := rec.Filter(func(r phxtest.Record) bool { return r.IsClose() && r.Dir == phxtest.FromClient })
		if len(codes) != 1 || codes[0].CloseCode != websocket.CloseMessageTooBig {
			t.Errorf("client close frames %v, want one 1009", codes)
		}
		t.Logf("%d-byte message over the %d-byte read limit: %q; closed with 1009, all sessions ready again %v later",
			4*limit, limit, closed.ev.Err, took)
		t.Logf("frames before it: malformed %d/%d, unknown topic %d/%d, stale %d/%d, bad payloads %d/%d counted/sent; reconnects +%d",
			got.malformed, sent.Of(phxtest.HostileMalformed), got.unknownTopic, sent.Of(phxtest.HostileUnknownTopic),
			got.staleJoin, sent.Of(phxtest.HostileStaleJoin), got.eventsDropped, sent.Of(phxtest.HostileBadPayload), got.connects)
		if got.malformed != sent.Of(phxtest.HostileMalformed) || got.unknownTopic != sent.Of(phxtest.HostileUnknownTopic) ||
			got.staleJoin != sent.Of(phxtest.HostileStaleJoin) || got.eventsDropped != sent.Of(phxtest.HostileBadPayload) {
			t.Error("frames before the oversized one were not all counted")
		}
		if got.disconnects != 1 || got.connects != 1 {
			t.Errorf("disconnects +%d, connects +%d; want one of each", got.disconnects, got.connects)
		}
		checkOthersWork(t, e, f.sessions)
		f.unsubscribeAll()
	})
}

// spec: W6, K5, E3, V2, A2 — the hostile mode of phxtest sends its
// catalogue every 10 ms to every connection (aimed at each joined topic in
// turn) for 5 s of fake time while 150 sessions on two sockets make calls
// and receive events: every call succeeds, every event arrives, nothing
// panics, no connection drops, and the drops are counted kind by kind.
func TestHostileMode(t *testing.T) {
	const sessions = 150
	synctest.Test(t, func(t *testing.T) {
		logs := &logBuffer{}
		e := newPipeEnv(t, pipeOpts{sup: []supervisor.Option{supervisor.WithLogger(logs.logger())}})
		f := newFleet(e, "mode", sessions)
		if _, ok := f.waitReady(time.Second); !ok {
			t.Fatal("sessions not ready")
		}
		before := readDrops(e, f.sessions)
		h := e.srv.StartHostile(phxtest.HostileConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var calls callLog
		for i, s := range f.sessions {
			echo := echoCall(s)
			calls.wg.Add(1)
			go func() {
				defer calls.wg.Done()
				for n := 0; ctx.Err() == nil; n++ {
					started := time.Now()
					r, err := echo.Call(context.Background(), Echo{ID: n})
					if err == nil && r.ID != n {
						err = fmt.Errorf("echo %d answered %d", n, r.ID)
					}
					calls.mu.Lock()
					calls.results = append(calls.results, callResult{id: i, started: started, ended: time.Now(), err: err})
					calls.mu.Unlock()
					_ = e.srv.Broadcast(s.Topic(), "tick", phxtest.JSON(Tick{Seq: n + 1}))
					time.Sleep(50 * time.Millisecond)
				}
			}()
		}
		calls.wg.Wait()
		sent := h.Stop()
		synctest.Wait()
		got := readDrops(e, f.sessions).sub(before)
		results := calls.take()
		failed := 0
		for _, r := range results {
			if r.err != nil {
				failed++
				if failed < 5 {
					t.Errorf("session %d: call: %v", r.id, r.err)
				}
			}
		}
		t.Logf("hostile mode: %d rounds in 5s; %d calls made by %d sessions meanwhile, %d failed", h.Rounds(), len(results), sessions, failed)
		checkAccounted(t, sent, got)
		if got.connects != 0 || got.disconnects != 0 {
			t.Errorf("connections dropped: connects +%d, disconnects +%d", got.connects, got.disconnects)
		}
		t.Logf("log lines: %d malformed-frame warnings (rate-limited), %d \"event dropped\", %d \"reply dropped\" (one a second per session)",
			logs.count("dropped a malformed frame"), logs.count("event dropped"), logs.count("reply dropped"))
		for _, s := range f.sessions {
			if st := s.State(); st.Status != supervisor.Ready || st.Value.Events == 0 || st.Value.Events != st.Value.Last {
				t.Errorf("%s: %v %+v: ticks lost", s.Topic(), st.Status, st.Value)
			}
		}
		f.unsubscribeAll()
	})
}
