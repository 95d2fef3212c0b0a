package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// callResult is how one call ended.
type callResult struct {
	name    string
	id      int
	started time.Time
	ended   time.Time
	reply   Echo
	err     error
}

// callLog runs calls on goroutines and collects how they ended.
type callLog struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []callResult
	running int
}

func (l *callLog) start(name string, id int, call func(context.Context, Echo) (Echo, error)) {
	l.wg.Add(1)
	l.mu.Lock()
	l.running++
	l.mu.Unlock()
	started := time.Now()
	go func() {
		defer l.wg.Done()
		reply, err := call(context.Background(), Echo{ID: id})
		r := callResult{name: name, id: id, started: started, ended: time.Now(), reply: reply, err: err}
		l.mu.Lock()
		l.results = append(l.results, r)
		l.running--
		l.mu.Unlock()
	}()
}

// take returns the results so far and forgets them.
func (l *callLog) take() []callResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.results
	l.results = nil
	return out
}

func (l *callLog) inFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}

// isTransport reports whether err is a call ended by the lost connection:
// ErrChannelLost wrapping the connection's *ConnectionError (SPEC L3).
func isTransport(err error) bool {
	var ce *supervisor.ConnectionError
	return errors.Is(err, supervisor.ErrChannelLost) && errors.As(err, &ce)
}

// spec: L3, A4, A8 — calls in flight when the connection is cut all end at
// once with a transport error (none hangs, none waits for its timeout);
// calls made while the socket is down are buffered: the ones whose timeout
// passes first end with ErrTimeout and are never sent, the others are sent
// after the rejoin, with the new join_ref, and answered.
func TestCallsAcrossCut(t *testing.T) {
	const sessions, held, delayed = 10, 3, 3
	synctest.Test(t, func(t *testing.T) {
		rec := phxtest.NewRecorder()
		e := newPipeEnv(t, pipeOpts{srv: []phxtest.Option{phxtest.WithRecorder(rec)}})
		f := newFleet(e, "calls", sessions)
		if _, ok := f.waitReady(time.Second); !ok {
			t.Fatal("sessions not ready")
		}
		type actions struct {
			hold, echo, short, long *supervisor.Call[Echo, Echo, json.RawMessage, Val]
		}
		acts := make([]actions, sessions)
		for i, s := range f.sessions {
			acts[i] = actions{
				hold:  holdCall(s),
				echo:  echoCall(s),
				short: supervisor.NewCall[Echo, Echo, json.RawMessage](s, "echo_short", "echo", supervisor.WithCallTimeout(time.Second)),
				long:  supervisor.NewCall[Echo, Echo, json.RawMessage](s, "echo_long", "echo", supervisor.WithCallTimeout(30*time.Second)),
			}
		}

		// In flight: calls never answered, and calls whose answer is 5 s away.
		e.srv.SetReplyDelay("echo", 5*time.Second)
		var calls callLog
		id := 0
		for i := range acts {
			for range held {
				id++
				calls.start("hold", id, acts[i].hold.Call)
			}
			for range delayed {
				id++
				calls.start("echo", id, acts[i].echo.Call)
			}
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(rec.Filter(func(r phxtest.Record) bool { return r.Dir == phxtest.FromClient && isEvent(r, "hold", "echo") })); n != id {
			t.Fatalf("server received %d of the %d calls before the cut", n, id)
		}

		// The cut: the server dies (no close frame) and stays down.
		cut := time.Now()
		e.srv.Stop(phxtest.Kill)
		e.srv.SetReplyDelay("echo", 0)
		synctest.Wait()
		if n := calls.inFlight(); n != 0 {
			t.Fatalf("%d calls still waiting right after the cut", n)
		}
		transport := 0
		for _, r := range calls.take() {
			if !isTransport(r.err) {
				t.Errorf("call %s #%d ended with %v, want ErrChannelLost with a ConnectionError", r.name, r.id, r.err)
			}
			if r.ended.After(cut) {
				t.Errorf("call %s #%d ended %v after the cut", r.name, r.id, r.ended.Sub(cut))
			}
			transport++
		}
		t.Logf("cut with %d calls in flight: %d ended at the cut (+0s) with a transport error, 0 hung", id, transport)

		// Socket down: calls are buffered (SPEC A8).
		down := time.Now()
		first := id + 1
		for i := range acts {
			id++
			calls.start("short", id, acts[i].short.Call)
			id++
			calls.start("long", id, acts[i].long.Call)
		}
		time.Sleep(3 * time.Second)
		short := calls.take()
		for _, r := range short {
			if r.name != "short" || !errors.Is(r.err, supervisor.ErrTimeout) || r.ended.Sub(r.started) != time.Second {
				t.Errorf("buffered call %s #%d: %v after %v, want ErrTimeout after 1s", r.name, r.id, r.err, r.ended.Sub(r.started))
			}
		}
		if len(short) != sessions {
			t.Fatalf("%d buffered calls ended while the server was down, want the %d short ones", len(short), sessions)
		}

		// The server comes back: sessions rejoin and send what is buffered.
		back := time.Now()
		rec.Reset()
		if err := e.srv.Start(); err != nil {
			t.Fatal(err)
		}
		calls.wg.Wait()
		long := calls.take()
		for _, r := range long {
			if r.name != "long" || r.err != nil || r.reply.ID != r.id {
				t.Errorf("buffered call %s #%d: reply %+v, %v; want its echo", r.name, r.id, r.reply, r.err)
			}
			if r.ended.Before(back) {
				t.Errorf("buffered call #%d answered before the server was back", r.id)
			}
		}
		if len(long) != sessions {
			t.Fatalf("%d long buffered calls answered, want %d", len(long), sessions)
		}
		checkBufferedSent(t, rec, first, id)
		t.Logf("socket down %v: %d buffered calls with a 1s timeout expired unsent; %d with 30s were sent after the rejoin and answered %v after the server came back",
			back.Sub(down), len(short), len(long), time.Since(back))
		f.unsubscribeAll()
	})
}

// checkBufferedSent checks what reached the server after it came back:
// only the long buffered calls (even ids from first to last), each after
// its topic's join on that connection and with that join's join_ref.
func checkBufferedSent(t *testing.T, rec *phxtest.Recorder, first, last int) {
	t.Helper()
	joinRefs := map[string]string{}
	seen := map[int]bool{}
	for _, r := range rec.Records() {
		if r.Dir != phxtest.FromClient {
			continue
		}
		fr, err := r.Frame()
		if err != nil {
			continue
		}
		switch fr.Event {
		case protocol.EventJoin:
			joinRefs[fr.Topic] = fr.JoinRef
		case "echo":
			var p Echo
			_ = json.Unmarshal(fr.Payload, &p)
			if p.ID < first || p.ID > last || (p.ID-first)%2 == 0 {
				t.Errorf("server received call #%d, which expired while buffered", p.ID)
			}
			if jr, ok := joinRefs[fr.Topic]; !ok || fr.JoinRef != jr {
				t.Errorf("call #%d sent with join_ref %q, want the new join's %q", p.ID, fr.JoinRef, jr)
			}
			seen[p.ID] = true
		}
	}
	for id := first + 1; id <= last; id += 2 {
		if !seen[id] {
			t.Errorf("buffered call #%d never reached the server", id)
		}
	}
}

// isEvent reports whether r is a frame of one of events.
func isEvent(r phxtest.Record, events ...string) bool {
	fr, err := r.Frame()
	if err != nil {
		return false
	}
	for _, ev := range events {
		if fr.Event == ev {
			return true
		}
	}
	return false
}

// spec: L3, A4, K2 — calls in flight when the network goes silent
// (blackhole): each ends by its own timeout when that comes first, or with
// a transport error when the heartbeat finds the connection dead; none
// hangs.
func TestCallsAcrossBlackhole(t *testing.T) {
	const hb = 10 * time.Second
	synctest.Test(t, func(t *testing.T) {
		e := newPipeEnv(t, pipeOpts{proxy: true, ep: []supervisor.EndpointOption{supervisor.WithHeartbeatInterval(hb)}})
		f := newFleet(e, "bhcalls", 5)
		if _, ok := f.waitReady(time.Second); !ok {
			t.Fatal("sessions not ready")
		}
		var calls callLog
		timeouts := []time.Duration{2 * time.Second, 5 * time.Second, 60 * time.Second, 0} // 0: the default 10 s
		id := 0
		for _, s := range f.sessions {
			for k, d := range timeouts {
				var opts []supervisor.ActionOption
				if d > 0 {
					opts = append(opts, supervisor.WithCallTimeout(d))
				}
				c := supervisor.NewCall[Echo, Echo, json.RawMessage](s, fmt.Sprintf("hold_%d", k), "hold", opts...)
				id++
				calls.start(fmt.Sprint(d), id, c.Call)
			}
		}
		synctest.Wait()
		start := time.Now()
		e.proxy.Blackhole(true)
		calls.wg.Wait()
		ended := map[string][]time.Duration{}
		byTimeout, byTransport := 0, 0
		for _, r := range calls.take() {
			took := r.ended.Sub(start)
			ended[r.name] = append(ended[r.name], took)
			limit := 10 * time.Second
			if r.name != "0s" {
				limit, _ = time.ParseDuration(r.name)
			}
			switch {
			case errors.Is(r.err, supervisor.ErrTimeout):
				byTimeout++
				if took != limit {
					t.Errorf("call #%d (timeout %v) timed out after %v", r.id, limit, took)
				}
			case isTransport(r.err):
				byTransport++
				if took > limit || took > 2*hb {
					t.Errorf("call #%d (timeout %v) ended by the transport after %v", r.id, limit, took)
				}
			default:
				t.Errorf("call #%d: %v", r.id, r.err)
			}
		}
		t.Logf("blackhole with %d calls in flight: %d ended by their timeout, %d by the transport error when the heartbeat noticed; end times by timeout: %v",
			id, byTimeout, byTransport, ended)
		if byTimeout == 0 || byTransport == 0 {
			t.Errorf("want both endings: %d by timeout, %d by transport", byTimeout, byTransport)
		}
		e.proxy.Blackhole(false)
		if _, ok := f.waitReady(hb); !ok {
			t.Fatal("sessions not ready after the blackhole")
		}
		f.unsubscribeAll()
	})
}
