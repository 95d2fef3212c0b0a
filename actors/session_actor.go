package actors

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
)

// declareWait bounds the wait for a session to take an action declaration.
const declareWait = 5 * time.Second

// Session is the handle the typed facade holds of one session actor: its
// PID, its Store, and the ways to talk to it. Safe for concurrent use.
type Session struct {
	port actorPort // by value: one allocation for both
	pid  *actor.PID
	m    *sessionMachine

	mu     sync.Mutex
	isDone atomic.Bool
	done   atomic.Pointer[chan struct{}] // made by the first Done; closed when the actor has stopped
}

// StartSession validates cfg and spawns the session actor for cfg.Topic on
// ep under the session strategy. The session owns no goroutine until a
// message arrives; it joins when the first subscriber mounts it (SPEC M1).
// A second session for the same endpoint and topic is refused with
// ErrSessionExists.
func StartSession(sys *System, ep *Endpoint, cfg SessionConfig) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Session{port: actorPort{sys: sys, ep: ep, topic: cfg.Topic}}
	port := &s.port
	m := newSessionMachine(cfg, port, nil)
	port.store = NewStore(m.snap, cfg.Logger)
	m.stats = &port.store.stats
	s.m = m
	// The handle is the actor (no allocation of its own); the machine lives
	// outside the actor instance, so even a restart would keep the
	// session's state (the strategy resumes sessions anyway).
	producer := func() actor.Actor { return (*sessionActor)(s) }
	pid, err := sys.SpawnSession(ep, cfg.Topic, producer)
	if err != nil {
		return nil, err
	}
	s.pid = pid
	return s, nil
}

// Topic is the session's topic.
func (s *Session) Topic() string { return s.port.topic }

// Store holds the session's states and subscribers.
func (s *Session) Store() *Store { return s.port.store }

// Done is closed once the session actor has stopped (after Shutdown or
// Close). The channel is made by the first call (an idle session holds none).
func (s *Session) Done() <-chan struct{} {
	if ch := s.done.Load(); ch != nil {
		return *ch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.done.Load(); ch != nil {
		return *ch
	}
	ch := make(chan struct{})
	if s.isDone.Load() {
		close(ch)
	}
	s.done.Store(&ch)
	return ch
}

// Stopped reports whether the session actor has stopped (Done is closed).
func (s *Session) Stopped() bool { return s.isDone.Load() }

// Send delivers msg to the session (Mount, Unmount, *CallRequest, *CancelCall).
func (s *Session) Send(msg any) { s.port.sys.as.Root.Send(s.pid, msg) }

// Declare adds an action's bucket and returns once it is in the state
// (SPEC S3).
func (s *Session) Declare(def *ActionDef) error {
	if s.Stopped() {
		return messages.ErrClosed
	}
	res, err := s.port.sys.as.Root.RequestFuture(s.pid, &DeclareAction{Def: def}, declareWait).Result()
	if err != nil {
		if s.Stopped() {
			return messages.ErrClosed
		}
		return err
	}
	if _, ok := res.(*ActionDeclared); !ok {
		return errors.New("phx: unexpected answer to an action declaration")
	}
	return nil
}

func (s *Session) stopped() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isDone.Swap(true) {
		if ch := s.done.Load(); ch != nil {
			close(*ch)
		}
	}
}

// sessionActor is a Session seen as the actor running its machine in
// protoactor: every message goes through the machine; it never blocks.
type sessionActor Session

// Receive implements actor.Actor.
func (a *sessionActor) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.m.self = ctx.Self()
		a.port.self = ctx.Self()
		return
	case *actor.Stopping:
		// Shutdown already left; a hard stop leaves now (the frame may not
		// go out) and fails what is pending with ErrClosed.
		a.m.Handle(&messages.Leave{})
		return
	case *actor.Stopped:
		(*Session)(a).stopped()
		return
	case *actor.Restarting, actor.SystemMessage, actor.AutoReceiveMessage:
		return
	case laneTick:
		a.port.fire(a.m.Handle)
		return
	}
	if resp := a.m.Handle(ctx.Message()); resp != nil && ctx.Sender() != nil {
		ctx.Respond(resp)
	}
}

// actorPort is the machine's port inside the actor system.
type actorPort struct {
	sys   *System
	ep    *Endpoint
	topic string
	self  *actor.PID
	store *Store
	lane  *timerLane // the session's timers (session_timers.go); nil while none
	calls bool       // a call timeout went to the lane: keep it when idle
}

func (p *actorPort) place(avoid Link) (Link, error) { return p.ep.Place(p.topic, avoid) }

func (p *actorPort) unplace(l Link) { p.ep.Release(p.topic, l) }

func (p *actorPort) publish(s *Snapshot) { p.store.Publish(s) }
