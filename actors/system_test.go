package actors

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// ownGoroutines counts goroutines running this package's code: dials,
// pumps, their waiters.
func ownGoroutines() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	count := 0
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, "phoenix/actors.(*wsConn)") || strings.Contains(g, "phoenix/actors.(*System).goTracked") ||
			strings.Contains(g, "phoenix/actors.(*socketCore).dial") {
			count++
		}
	}
	return count
}

func TestSystemShutdownLeavesAndClosesNormally(t *testing.T) {
	// spec: K9 — Shutdown leaves every channel, closes with a normal close
	// frame, stops every goroutine it started.
	// spec: V3 — in order: sessions leave, then sockets close.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, evA := spawnTestSession(t, sys, ep, "room:a")
		_, evB := spawnTestSession(t, sys, ep, "room:b")
		sc := srv.accept(t)
		waitEvent(t, evA, "joined")
		waitEvent(t, evB, "joined")
		// spec: W4 — an idle socket runs its read pump only; the write
		// pump runs while frames wait.
		synctest.Wait()
		if n := ownGoroutines(); n != 1 {
			t.Fatalf("%d goroutines for one idle open socket, want 1 (the read pump)", n)
		}
		if err := sys.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		<-sc.closed
		var leaves []string
		for len(sc.in) > 0 {
			f := <-sc.in
			if f.Event == protocol.EventLeave {
				leaves = append(leaves, f.Topic)
			}
		}
		if len(leaves) != 2 {
			t.Fatalf("server saw leaves %v, want room:a and room:b", leaves)
		}
		if sc.code != websocket.CloseNormalClosure {
			t.Fatalf("client close code %d, want 1000", sc.code)
		}
		if n := ownGoroutines(); n != 0 {
			t.Fatalf("%d goroutines left after Shutdown", n)
		}
		// Idempotent, and Close after Shutdown is a no-op.
		if err := sys.Shutdown(context.Background()); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}
		sys.Close()
		if _, err := sys.NewEndpoint(EndpointConfig{URL: "ws://x/socket"}); !errors.Is(err, messages.ErrClosed) {
			t.Fatalf("NewEndpoint after Shutdown = %v", err)
		}
	})
}

func TestSystemShutdownAfterManyReconnects(t *testing.T) {
	// spec: V3 — no goroutine is left, also after many reconnects and
	// with a restart pending.
	// spec: K2a — a user's Shutdown is never followed by a reconnect.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		for range 30 {
			sc := srv.accept(t)
			waitEvent(t, ev, "joined")
			sc.kill()
			waitEvent(t, ev, "down")
		}
		srv.accept(t)
		waitEvent(t, ev, "joined")
		if st := ep.Stats().Sockets[0]; st.Reconnects != 30 || st.Disconnects != 30 {
			t.Fatalf("stats %+v", st)
		}
		// One more drop, and shut down while its restart is pending.
		srv.set(func(s *wsServer) {
			for _, c := range s.conns {
				c.kill()
			}
		})
		waitEvent(t, ev, "down")
		synctest.Wait()
		if sys.sockets.pending() != 1 {
			t.Fatalf("%d restarts pending, want 1", sys.sockets.pending())
		}
		dials := srv.dialCount()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sys.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		time.Sleep(time.Minute)
		if srv.dialCount() != dials {
			t.Fatal("a socket reconnected after Shutdown")
		}
		if n := ownGoroutines(); n != 0 {
			t.Fatalf("%d goroutines left", n)
		}
	})
}

func TestSystemCloseIsHardAndIdempotent(t *testing.T) {
	// spec: V3 — Close stops at once, without leaving, and waits for every
	// goroutine; idempotent; a Shutdown after it returns at once.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, ev := spawnTestSession(t, sys, ep, "room:a")
		sc := srv.accept(t)
		waitEvent(t, ev, "joined")
		_ = sc.next(t) // the join
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(sys.Close)
		}
		wg.Wait()
		<-sc.closed
		if len(sc.in) != 0 || sc.code != websocket.CloseAbnormalClosure { // 1006: no close frame
			t.Fatalf("Close sent frames or a close frame (code %d, %d frames)", sc.code, len(sc.in))
		}
		if n := ownGoroutines(); n != 0 {
			t.Fatalf("%d goroutines left after Close", n)
		}
		if err := sys.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown after Close: %v", err)
		}
	})
}

func TestSystemShutdownContextExpires(t *testing.T) {
	// A session that never answers Leave cannot hold Shutdown past ctx.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		_, err := sys.SpawnSession(ep, "mute", func() actor.Actor {
			return actor.ReceiveFunc(func(actor.Context) {}) // never responds
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		t0 := time.Now()
		if err := sys.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(t0); d < 2*time.Second || d > 2*time.Second+10*time.Millisecond {
			t.Fatalf("Shutdown took %v, want the 2s of its context", d)
		}
	})
}

func TestSessionPanicIsContained(t *testing.T) {
	// spec: V2 — a panicking session is resumed with its state; its socket
	// and its siblings are untouched.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		pidA, evA := spawnTestSession(t, sys, ep, "room:a")
		_, evB := spawnTestSession(t, sys, ep, "room:b")
		sc := srv.accept(t)
		waitEvent(t, evA, "joined")
		waitEvent(t, evB, "joined")
		sys.Root().Send(pidA, "panic")
		sys.Root().Send(pidA, "still-alive")
		waitEvent(t, evA, "still-alive")
		sc.send(protocol.Frame{Topic: "room:b", Event: "e", Payload: []byte(`{}`)})
		sc.send(protocol.Frame{Topic: "room:a", Event: "e", Payload: []byte(`{}`)})
		waitEvent(t, evB, "frame")
		waitEvent(t, evA, "frame")
		if sys.SessionPanics() != 1 {
			t.Fatalf("SessionPanics = %d, want 1", sys.SessionPanics())
		}
		if st := ep.Stats().Sockets[0]; st.Connects != 1 || st.Status != messages.SocketOpen {
			t.Fatalf("the socket was touched: %+v", st)
		}
	})
}

func TestSystemLoggerFiltersProtoactor(t *testing.T) {
	rec := &recordHandler{}
	sys := NewSystem(SystemConfig{Logger: slog.New(rec)})
	// protoactor logs "actor system started" at Info: filtered out.
	sys.as.Logger().Info("info from protoactor")
	sys.as.Logger().Warn("warn from protoactor")
	sys.Close()
	got := rec.messages(slog.LevelDebug)
	if len(got) != 1 || got[0] != "warn from protoactor" {
		t.Fatalf("logged %q, want only protoactor's warning", got)
	}
	quiet := NewSystem(SystemConfig{})
	defer quiet.Close()
	if quiet.Logger().Enabled(context.Background(), slog.LevelError) {
		t.Fatal("the default logger is not silent")
	}
}

// fakeSupervisor records what a strategy asks.
type fakeSupervisor struct {
	mu              sync.Mutex
	restarts, stops []time.Time
	resumes         int
}

func (f *fakeSupervisor) Children() []*actor.PID   { return nil }
func (f *fakeSupervisor) EscalateFailure(any, any) {}
func (f *fakeSupervisor) RestartChildren(...*actor.PID) {
	f.mu.Lock()
	f.restarts = append(f.restarts, time.Now())
	f.mu.Unlock()
}
func (f *fakeSupervisor) StopChildren(...*actor.PID) {
	f.mu.Lock()
	f.stops = append(f.stops, time.Now())
	f.mu.Unlock()
}
func (f *fakeSupervisor) counts() (restarts []time.Time, stops int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.restarts...), len(f.stops)
}
func (f *fakeSupervisor) ResumeChildren(...*actor.PID) { f.mu.Lock(); f.resumes++; f.mu.Unlock() }

func TestSocketStrategyRestartsAfterDelay(t *testing.T) {
	// spec: K1 — a failure is answered with a restart after its backoff.
	synctest.Test(t, func(t *testing.T) {
		s := newSocketStrategy(discardLogger)
		sup := &fakeSupervisor{}
		child := actor.NewPID("local", "socket/x")
		t0 := time.Now()
		s.HandleFailure(nil, sup, child, nil, &socketFailure{err: errors.New("x"), delay: 250 * time.Millisecond}, nil)
		time.Sleep(249 * time.Millisecond)
		synctest.Wait()
		if r, _ := sup.counts(); len(r) != 0 {
			t.Fatal("restarted early")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if r, _ := sup.counts(); len(r) != 1 || r[0].Sub(t0) != 250*time.Millisecond {
			t.Fatalf("restarts %v", r)
		}
		// A panic that carries no delay waits the last default step.
		s.HandleFailure(nil, sup, child, nil, "bug", nil)
		time.Sleep(unknownFailureDelay)
		synctest.Wait()
		if r, _ := sup.counts(); len(r) != 2 {
			t.Fatal("no restart after a plain panic")
		}
		// stop cancels what is pending; later failures stop the child.
		s.HandleFailure(nil, sup, child, nil, &socketFailure{err: errors.New("x"), delay: time.Second}, nil)
		s.stop()
		time.Sleep(2 * time.Second)
		s.HandleFailure(nil, sup, child, nil, &socketFailure{err: errors.New("x"), delay: time.Second}, nil)
		if r, stops := sup.counts(); len(r) != 2 || stops != 1 {
			t.Fatalf("after stop: %d restarts, %d stops", len(r), stops)
		}
	})
}

func TestSystemRegistryIsSmall(t *testing.T) {
	// The actor system's process registry is cut to registryBuckets buckets
	// (protoactor's 1,024 are 2.8 MB that every GC marks); its own
	// processes are still found, and spawned actors register and resolve.
	sys := NewSystem(SystemConfig{})
	defer sys.Close()
	if n := len(sys.as.ProcessRegistry.LocalPIDs.LocalPIDs); n != registryBuckets {
		t.Fatalf("%d registry buckets, want %d", n, registryBuckets)
	}
	for _, id := range []string{"deadletter", "eventstream"} {
		if _, ok := sys.as.ProcessRegistry.GetLocal(id); !ok {
			t.Fatalf("%s lost from the registry", id)
		}
	}
	got := make(chan any, 1)
	pid, err := sys.Root().SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return actor.ReceiveFunc(func(c actor.Context) {
			if s, ok := c.Message().(string); ok {
				got <- s
			}
		})
	}), "probe")
	if err != nil {
		t.Fatal(err)
	}
	sys.Root().Send(actor.NewPID(pid.Address, pid.Id), "hello") // resolved through the registry
	if m := <-got; m != "hello" {
		t.Fatalf("got %v", m)
	}
}
