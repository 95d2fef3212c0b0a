package actors

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// ErrSessionExists is returned by SpawnSession when the endpoint already has
// a session for the topic (SPEC K6); the existing PID comes with it.
var ErrSessionExists = errors.New("phx: session exists for this topic")

// SystemConfig configures a System.
type SystemConfig struct {
	// Logger receives the library's logs and protoactor's warnings and
	// errors. Nil discards everything.
	Logger *slog.Logger
}

// System is one protoactor actor system hosting every socket and session
// (SPEC V1), the two supervision strategies (sockets restart after their
// backoff, sessions resume), and a locked registry of endpoints and sessions.
// Its methods are safe for concurrent use.
type System struct {
	as       *actor.ActorSystem
	logger   *slog.Logger
	sockets  *socketStrategy
	sessions *sessionStrategy
	sockRoot *actor.RootContext // spawns under the socket strategy
	sessRoot *actor.RootContext // spawns under the session strategy
	// sessProps are every session's props: one Props value for all (a
	// Props is ~240 bytes); its producer hands over spawning, set under mu
	// by SpawnSession for the synchronous spawn. Sessions are resumed,
	// never restarted, so the producer runs once per session.
	sessProps *actor.Props
	spawning  actor.Actor

	// dialCtx is cancelled by the hard stop: dials in flight end at once.
	dialCtx    context.Context
	dialCancel context.CancelFunc
	wg         sync.WaitGroup // read pumps, write pumps, dials

	mu        sync.Mutex
	state     int // stateRunning, stateStopping, stateStopped
	endpoints []*Endpoint
	epNames   map[string]int
	sessIndex map[sessionKey]*actor.PID

	// Shutdown and Close run once; later callers wait on these channels
	// (a channel, not a sync.Once: a mutex held across a wait is not a
	// durable block for testing/synctest).
	shutdownStarted atomic.Bool
	shutdownDone    chan struct{}
	shutdownErr     error
	stopStarted     atomic.Bool
	stopDone        chan struct{}
}

const (
	stateRunning = iota
	stateStopping
	stateStopped
)

type sessionKey struct{ endpoint, topic string }

// deadLetterThrottle is protoactor's dead-letter log period; each period with
// a dead letter runs a goroutine that long.
const deadLetterThrottle = time.Millisecond

// NewSystem starts an actor system.
func NewSystem(cfg SystemConfig) *System {
	l := cfg.Logger
	if l == nil {
		l = discardLogger
	}
	as := actor.NewActorSystem(
		protoLoggerFactory(l),
		// A dead letter starts a goroutine that lives one throttle period:
		// keep it short, and hardStop waits it out.
		actor.WithDeadLetterThrottleInterval(deadLetterThrottle),
		actor.WithDeadLetterRequestLogging(false),
	)
	shrinkRegistry(as)
	s := &System{
		as:           as,
		logger:       l,
		sockets:      newSocketStrategy(l),
		sessions:     &sessionStrategy{logger: l},
		epNames:      make(map[string]int),
		sessIndex:    make(map[sessionKey]*actor.PID),
		shutdownDone: make(chan struct{}),
		stopDone:     make(chan struct{}),
	}
	s.sockRoot = as.Root.Copy().WithGuardian(s.sockets)
	s.sessRoot = as.Root.Copy().WithGuardian(s.sessions)
	s.sessProps = actor.PropsFromProducer(s.produceSession, actor.WithMailbox(newLeanMailbox))
	s.dialCtx, s.dialCancel = context.WithCancel(context.Background())
	return s
}

// registryBuckets is how many buckets (each of 32 locked maps) the actor
// system's process registry keeps. protoactor makes 1,024: 32,768 maps,
// 2.8 MB that every GC cycle marks (71% of a W3 client's live heap; a mark
// of ~1.4 ms on one CPU, the calls' p99) and one or two entries a map
// (~100 bytes a session at 100,000). 32 buckets are 1,024 maps.
const registryBuckets = 32

// shrinkRegistry keeps the first registryBuckets buckets of a new actor
// system's registry and moves the entries of the others (the dead letter
// and event stream processes) over. An entry it does not know of leaves
// the registry as it is.
func shrinkRegistry(as *actor.ActorSystem) {
	sm := as.ProcessRegistry.LocalPIDs
	if sm == nil || len(sm.LocalPIDs) <= registryBuckets {
		return
	}
	ids := []string{"deadletter", "eventstream"}
	procs := make([]actor.Process, len(ids))
	for i, id := range ids {
		p, ok := as.ProcessRegistry.GetLocal(id)
		if !ok {
			return
		}
		procs[i] = p
	}
	total := 0
	for _, b := range sm.LocalPIDs {
		total += b.Count()
	}
	if total != len(ids) {
		return
	}
	sm.LocalPIDs = append(sm.LocalPIDs[:0:0], sm.LocalPIDs[:registryBuckets]...)
	for i, id := range ids {
		if _, ok := as.ProcessRegistry.GetLocal(id); !ok {
			as.ProcessRegistry.Add(procs[i], id)
		}
	}
}

// Root is the context to Send and Request from outside actors.
func (s *System) Root() *actor.RootContext { return s.as.Root }

// Logger is the library's logger (never nil).
func (s *System) Logger() *slog.Logger { return s.logger }

// running reports whether the System has not begun to stop.
func (s *System) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateRunning
}

// goTracked runs fn on a goroutine that Close and Shutdown wait for. It
// refuses (false) once the System is stopped.
func (s *System) goTracked(fn func()) bool {
	s.mu.Lock()
	if s.state == stateStopped {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// track counts a goroutine the caller is about to start (it calls wg.Done
// when it ends) and refuses (false) once the System is stopped.
func (s *System) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateStopped {
		return false
	}
	s.wg.Add(1)
	return true
}

// NewEndpoint validates cfg and returns an empty pool of sockets to its URL;
// the first Place opens the first socket.
func (s *System) NewEndpoint(cfg EndpointConfig) (*Endpoint, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateRunning {
		return nil, messages.ErrClosed
	}
	id := protocol.RedactURL(c.URL)
	s.epNames[id]++
	if n := s.epNames[id]; n > 1 {
		id += "~" + strconv.Itoa(n)
	}
	ep := &Endpoint{sys: s, id: id, seq: strconv.Itoa(len(s.endpoints) + 1), cfg: c, topics: make(map[string]*socketCore)}
	s.endpoints = append(s.endpoints, ep)
	return ep, nil
}

// Endpoints lists the endpoints in creation order.
func (s *System) Endpoints() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Endpoint(nil), s.endpoints...)
}

// SpawnSession spawns a session actor under the session strategy and
// registers it, so Shutdown reaches it. One session per (endpoint, topic):
// a second spawn returns the existing PID and ErrSessionExists.
func (s *System) SpawnSession(ep *Endpoint, topic string, producer actor.Producer) (*actor.PID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateRunning {
		return nil, messages.ErrClosed
	}
	k := sessionKey{ep.id, topic}
	if pid := s.sessIndex[k]; pid != nil {
		return pid, ErrSessionExists
	}
	s.spawning = producer()
	// A short actor name (the endpoint's number, not its URL): every
	// session keeps it as its PID's id and registry key.
	pid, err := s.sessRoot.SpawnNamed(s.sessProps, "session/"+ep.seq+"/"+topic)
	s.spawning = nil
	if err != nil {
		return nil, err
	}
	s.sessIndex[k] = pid
	return pid, nil
}

// produceSession is the sessions' producer: the actor SpawnSession is
// spawning (s.mu is held). Called at any other time (a restart, which the
// session strategy never asks for), it gives an actor that only logs.
func (s *System) produceSession() actor.Actor {
	if a := s.spawning; a != nil {
		s.spawning = nil
		return a
	}
	return orphanSession{logger: s.logger}
}

// orphanSession stands in for a session actor produced outside a spawn.
type orphanSession struct{ logger *slog.Logger }

func (o orphanSession) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		o.logger.Error("phx: session actor produced outside a spawn", "session", ctx.Self().Id)
	}
}

// Session returns the PID of the endpoint's session for topic, or nil.
func (s *System) Session(ep *Endpoint, topic string) *actor.PID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessIndex[sessionKey{ep.id, topic}]
}

// SessionPanics counts panics that escaped session actors (each resumed).
func (s *System) SessionPanics() uint64 { return s.sessions.panics.Load() }

// Sessions counts the registered sessions.
func (s *System) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessIndex)
}

// allSockets lists every socket slot of every endpoint.
func (s *System) allSockets() []*socketCore {
	var out []*socketCore
	for _, ep := range s.Endpoints() {
		out = append(out, ep.sockets()...)
	}
	return out
}
