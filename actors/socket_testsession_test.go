package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// tsEvent is what the minimal test session reports.
type tsEvent struct {
	kind  string // "up", "down", "joined", "join_error", "moved", "frame", "push_failed"
	gen   uint64
	frame protocol.Frame
	err   error
	link  Link
}

// testSession is a minimal session for the socket tests: it places itself,
// attaches, joins on every SocketUp (paced by AcquireJoin), follows a "too
// many channels joined" reply to another socket, leaves on Leave, and
// reports everything on events.
type testSession struct {
	ep      *Endpoint
	topic   string
	link    Link
	gen     uint64
	joinRef string
	events  chan tsEvent
	panicOn string // event name that makes Receive panic
}

func (s *testSession) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		l, err := s.ep.Place(s.topic, nil)
		if err != nil {
			s.emit(tsEvent{kind: "place_error", err: err})
			return
		}
		s.attach(ctx, l)
	case *messages.SocketUp:
		s.gen = m.Gen
		s.emit(tsEvent{kind: "up", gen: m.Gen})
		s.join(ctx)
	case *messages.SocketDown:
		s.gen = 0
		s.emit(tsEvent{kind: "down", gen: m.Gen, err: m.Reason})
	case *messages.JoinPermit:
		if m.Gen == s.gen {
			s.send(ctx)
		}
	case *messages.PushFailed:
		s.emit(tsEvent{kind: "push_failed", err: m.Err, frame: protocol.Frame{Ref: m.Ref}})
	case *messages.FrameIn:
		s.frame(ctx, m)
	case *messages.Leave:
		if s.gen != 0 {
			_ = s.link.Send(s.gen, &protocol.Frame{JoinRef: s.joinRef, Ref: s.link.NextRef(), Topic: s.topic,
				Event: protocol.EventLeave}, ctx.Self())
		}
		ctx.Respond(&messages.LeaveDone{})
	case string:
		if m == s.panicOn {
			panic("test session: " + m)
		}
		s.emit(tsEvent{kind: m})
	}
}

func (s *testSession) attach(ctx actor.Context, l Link) {
	s.link = l
	s.gen = l.Attach(s.topic, ctx.Self())
	if s.gen != 0 {
		s.join(ctx)
	}
}

func (s *testSession) join(ctx actor.Context) {
	if s.link.AcquireJoin(s.gen, ctx.Self()) {
		s.send(ctx)
	}
}

func (s *testSession) send(ctx actor.Context) {
	ref := s.link.NextRef()
	s.joinRef = ref
	s.link.SetJoinRef(s.topic, ref)
	if err := s.link.Send(s.gen, &protocol.Frame{JoinRef: ref, Ref: ref, Topic: s.topic, Event: protocol.EventJoin}, ctx.Self()); err != nil {
		s.link.ReleaseJoin(s.gen, ctx.Self())
	}
}

func (s *testSession) frame(ctx actor.Context, m *messages.FrameIn) {
	f := m.Frame
	if f.IsReply() && f.Ref == s.joinRef && f.Ref != "" {
		s.link.ReleaseJoin(m.Gen, ctx.Self())
		r, _ := f.Reply()
		switch {
		case r.OK():
			s.emit(tsEvent{kind: "joined", gen: m.Gen, link: s.link})
		case r.Reason() == protocol.ReasonTooManyJoined:
			old := s.link
			old.Detach(s.topic, ctx.Self())
			l, err := s.ep.Place(s.topic, old)
			if err != nil {
				s.emit(tsEvent{kind: "place_error", err: err})
				return
			}
			s.emit(tsEvent{kind: "moved", link: l})
			s.attach(ctx, l)
		default:
			s.emit(tsEvent{kind: "join_error", frame: f})
		}
		return
	}
	s.emit(tsEvent{kind: "frame", gen: m.Gen, frame: f})
}

func (s *testSession) emit(e tsEvent) {
	select {
	case s.events <- e:
	default:
	}
}

// spawnTestSession starts a test session for topic on ep.
func spawnTestSession(t testing.TB, sys *System, ep *Endpoint, topic string) (*actor.PID, chan tsEvent) {
	t.Helper()
	ev := make(chan tsEvent, 1024)
	pid, err := sys.SpawnSession(ep, topic, func() actor.Actor {
		return &testSession{ep: ep, topic: topic, events: ev, panicOn: "panic"}
	})
	if err != nil {
		t.Fatalf("SpawnSession: %v", err)
	}
	return pid, ev
}

// waitEvent returns the next event of kind, skipping others.
func waitEvent(t testing.TB, ev chan tsEvent, kind string) tsEvent {
	t.Helper()
	timeout := time.After(10 * time.Minute)
	for {
		select {
		case e := <-ev:
			if e.kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %q event", kind)
			return tsEvent{}
		}
	}
}
