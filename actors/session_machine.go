package actors

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
)

// sessionPort is what the session machine does to the world besides its
// Link: placement on the endpoint's sockets, timers, publishing states. The
// actor implements it with the Endpoint, time.AfterFunc into its mailbox and
// the Store; unit tests implement it with a recorder, so the rules run
// without a network.
type sessionPort interface {
	// place returns a socket for the topic, never avoid (which answered "too
	// many channels joined"; nil when there is none).
	place(avoid Link) (Link, error)
	// unplace tells the endpoint the session left l.
	unplace(l Link)
	// after delivers msg to the session after d; cancel stops it (a message
	// already fired may still arrive: each carries what it is for).
	after(d time.Duration, msg any) (cancel func())
	// publish makes s the store's current state and hands it to subscribers.
	publish(s *Snapshot)
}

// phase is where the session is in its channel's life, finer than Status.
type phase uint8

const (
	phaseIdle       phase = iota // unmounted: no channel, not on a socket
	phaseWaitSocket              // placed; the socket has no live connection
	phaseWaitPermit              // waiting for a paced join slot (SPEC L5)
	phaseJoining                 // join sent, reply awaited
	phaseJoined                  // joined: pushes go out
	phaseBackoff                 // rejoin timer armed (SPEC J4)
	phaseClosed                  // over until remounted: phx_close, unmatched topic, retries exhausted
	phaseLeft                    // shut down: refuses everything
)

// sessionMachine is the session's behaviour as a state machine: inputs are
// the messages the actor receives, outputs are frames through the Link,
// timers and published snapshots through the port. It runs on the actor's
// goroutine only.
type sessionMachine struct {
	cfg    SessionConfig // Events nil when events holds them
	events []namedEvent
	port   sessionPort
	self   *actor.PID
	stats  *sessionCounters
	inbox  inGauge // inbound frames routed and not yet handled (read pump backpressure)

	snap    *Snapshot       // last published
	d       *draft          // changes of the input being handled
	procAlt map[string]bool // see draft.procAlt

	mounts int
	phase  phase
	link   Link
	gen    uint64 // live connection of link, 0 when none
	// joinRef is the join_ref of the channel this session owns or is joining
	// ("" when none): every push carries it, and phx_error/phx_close of any
	// other join are ignored.
	joinRef string
	permit  bool // holds a join slot on (link, gen)
	tries   int  // failed joins since the last success or (re)connect

	joinCancel   func()
	rejoinCancel func()
	rejoinSeq    uint64
	lingerCancel func()
	lingerSeq    uint64

	actions  map[string]*ActionDef
	runs     map[string]uint64
	buffer   []*CallRequest
	inflight map[string]*CallRequest // by ref
	outbox   []answered              // answers of the input being handled
}

func newSessionMachine(cfg SessionConfig, port sessionPort, stats *sessionCounters) *sessionMachine {
	cfg = cfg.withDefaults()
	m := &sessionMachine{
		port:  port,
		stats: stats,
		snap:  initialSnapshot(cfg),
	}
	// A few handlers are kept in a slice: a small map costs ~250 bytes a
	// session, a slice entry 24.
	if len(cfg.Events) <= maxEventSlice {
		for name, h := range cfg.Events {
			if h != nil {
				m.events = append(m.events, namedEvent{name: name, fn: h})
			}
		}
		cfg.Events = nil
	}
	m.cfg = cfg
	return m
}

// maxEventSlice: up to this many handlers are looked up in a slice.
const maxEventSlice = 8

type namedEvent struct {
	name string
	fn   EventFunc
}

// handler returns the event's reducer, or nil.
func (m *sessionMachine) handler(event string) EventFunc {
	if m.cfg.Events != nil {
		return m.cfg.Events[event]
	}
	for i := range m.events {
		if m.events[i].name == event {
			return m.events[i].fn
		}
	}
	return nil
}

// logger returns the logger with the session's topic (built only when
// something is logged: an idle session holds no logger of its own).
func (m *sessionMachine) logger() *slog.Logger { return m.cfg.Logger.With("topic", m.cfg.Topic) }

// initialSnapshot is the state at creation: the initial value, loading, no
// action yet (SPEC S2).
func initialSnapshot(cfg SessionConfig) *Snapshot {
	return &Snapshot{
		Value:      cfg.Initial,
		Status:     messages.Loading,
		Processing: emptyProcessing,
		Errors:     emptyErrors,
		Timeouts:   emptyTimeouts,
	}
}

// Handle runs one input and publishes the resulting state when it changed.
// The returned value, when not nil, answers the sender.
func (m *sessionMachine) Handle(msg any) (response any) {
	switch msg := msg.(type) {
	case *messages.Mount:
		m.mount()
	case *messages.Unmount:
		m.unmount()
	case *messages.Leave:
		m.shutdown()
		response = &messages.LeaveDone{}
	case *messages.SocketUp:
		m.socketUp(msg)
	case *messages.SocketDown:
		m.socketDown(msg)
	case *messages.JoinPermit:
		m.joinPermit(msg)
	case *messages.FrameIn:
		m.frameIn(msg)
	case *inbound:
		msg.g.handled()
		m.frameIn(&msg.FrameIn)
	case *messages.PushFailed:
		m.pushFailed(msg)
	case *CallRequest:
		m.call(msg)
	case *CancelCall:
		m.cancelCall(msg.Req)
	case *DeclareAction:
		m.declare(msg.Def)
		response = &ActionDeclared{}
	case joinTimedOut:
		m.joinTimedOut(msg)
	case rejoinDue:
		if msg.seq == m.rejoinSeq && m.phase == phaseBackoff {
			m.rejoinCancel = nil
			m.tryJoin()
		}
	case callTimedOut:
		m.callTimedOut(msg.req)
	case lingerDone:
		if msg.seq == m.lingerSeq && m.lingerCancel != nil {
			m.lingerCancel = nil
			m.leave(messages.ErrNotMounted)
		}
	}
	m.commit()
	if len(m.outbox) > 0 {
		m.deliver()
	}
	return response
}

// draft returns the working copy of the next state.
func (m *sessionMachine) draft() *draft {
	if m.d == nil {
		m.d = newDraft(m.snap, m.procAlt)
	}
	return m.d
}

// commit publishes the draft, if any.
func (m *sessionMachine) commit() {
	if m.d == nil {
		return
	}
	s := m.d.s
	m.procAlt = m.d.procAlt
	m.d.release()
	m.d = nil
	m.snap = &s
	m.port.publish(m.snap)
}

// value is the current (draft) value.
func (m *sessionMachine) value() any {
	if m.d != nil {
		return m.d.s.Value
	}
	return m.snap.Value
}

func (m *sessionMachine) status() messages.Status {
	if m.d != nil {
		return m.d.s.Status
	}
	return m.snap.Status
}

func (m *sessionMachine) setStatus(st messages.Status, err *messages.StateError) {
	cur := m.snap
	if m.d != nil {
		cur = &m.d.s
	}
	if cur.Status == st && cur.Error == err {
		return // unchanged: no new state
	}
	d := m.draft()
	d.s.Status = st
	d.s.Error = err
}

// declare adds an action's bucket: processing false, error nil, timeout
// false (SPEC S3).
func (m *sessionMachine) declare(def *ActionDef) {
	if m.actions == nil {
		m.actions = make(map[string]*ActionDef, 1)
	}
	m.actions[def.Name] = def
	if _, ok := m.snap.Processing[def.Name]; !ok {
		m.draft().setBucket(def.Name, false, nil, false)
	}
}

// mount: a subscriber arrived; the first one joins (SPEC M1, M3).
func (m *sessionMachine) mount() {
	if m.phase == phaseLeft {
		return
	}
	m.mounts++
	if m.mounts > 1 {
		return
	}
	if m.lingerCancel != nil { // remounted while lingering: still joined
		m.lingerCancel()
		m.lingerCancel = nil
		return
	}
	if m.phase != phaseIdle {
		return
	}
	m.setStatus(messages.Loading, nil)
	m.tries = 0
	link, err := m.port.place(nil)
	if err != nil {
		m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindTransport, Cause: err})
		m.phase = phaseClosed
		return
	}
	m.attach(link)
	m.tryJoin()
}

func (m *sessionMachine) attach(link Link) {
	m.link = link
	if c, ok := link.(*socketCore); ok {
		m.gen = c.attachGauged(m.cfg.Topic, m.self, &m.inbox)
	} else {
		m.gen = link.Attach(m.cfg.Topic, m.self)
	}
	m.phase = phaseWaitSocket
}

// unmount: a subscriber left; the last one leaves, after the linger if any
// (SPEC M3).
func (m *sessionMachine) unmount() {
	if m.mounts == 0 {
		return
	}
	m.mounts--
	if m.mounts > 0 || m.phase == phaseLeft {
		return
	}
	if m.cfg.Linger > 0 && m.phase != phaseIdle && m.phase != phaseClosed {
		m.lingerSeq++
		m.lingerCancel = m.port.after(m.cfg.Linger, lingerDone{seq: m.lingerSeq})
		return
	}
	m.leave(messages.ErrNotMounted)
}

// shutdown leaves for good: pending calls fail with ErrClosed, later ones
// are refused.
func (m *sessionMachine) shutdown() {
	if m.phase == phaseLeft {
		return
	}
	m.leave(messages.ErrClosed)
	m.phase = phaseLeft
	m.mounts = 0
}

// leave sends phx_leave for the channel (if one is joined or joining), ends
// every pending call with cause, and gives the socket back. The last state
// stays readable (SPEC M3).
func (m *sessionMachine) leave(cause error) {
	stop(&m.joinCancel)
	stop(&m.rejoinCancel)
	stop(&m.lingerCancel)
	if m.link != nil && m.joinRef != "" && m.gen != 0 {
		m.sendLeave(m.joinRef)
	}
	m.releasePermit()
	m.joinRef = ""
	m.failInflight(cause)
	m.failBuffer(cause)
	m.detach()
	m.phase = phaseIdle
}

func (m *sessionMachine) detach() {
	if m.link == nil {
		return
	}
	m.link.Detach(m.cfg.Topic, m.self)
	m.port.unplace(m.link)
	m.link = nil
	m.gen = 0
}

func (m *sessionMachine) releasePermit() {
	if m.permit && m.link != nil {
		m.link.ReleaseJoin(m.gen, m.self)
	}
	m.permit = false
}

func stop(cancel *func()) {
	if *cancel != nil {
		(*cancel)()
		*cancel = nil
	}
}

// socketUp: the socket connected (again); every mounted session rejoins,
// paced (SPEC K4, L5). The rejoin backoff starts over, as the official
// client resets its rejoin timer on open.
func (m *sessionMachine) socketUp(msg *messages.SocketUp) {
	if m.link == nil || msg.Socket != "" && msg.Socket != m.link.ID() {
		return
	}
	if msg.Gen == m.gen {
		return
	}
	if m.gen != 0 { // missed the SocketDown of the old connection
		m.connectionLost(nil)
	}
	m.gen = msg.Gen
	stop(&m.rejoinCancel)
	m.tries = 0
	switch m.phase {
	case phaseWaitSocket, phaseWaitPermit, phaseBackoff:
		m.tryJoin()
	}
}

// socketDown: the connection ended. A ready session goes stale with the
// value kept (SPEC L1); calls in flight end now (SPEC L3).
func (m *sessionMachine) socketDown(msg *messages.SocketDown) {
	if m.link == nil || msg.Socket != "" && msg.Socket != m.link.ID() {
		return
	}
	if m.gen != 0 && msg.Gen != m.gen {
		return // an older connection
	}
	m.connectionLost(msg.Reason)
}

func (m *sessionMachine) connectionLost(reason error) {
	m.releasePermit()
	m.gen = 0
	stop(&m.joinCancel)
	stop(&m.rejoinCancel)
	m.tries = 0
	if m.phase == phaseIdle || m.phase == phaseClosed || m.phase == phaseLeft {
		return
	}
	m.joinRef = ""
	lost := messages.ErrChannelLost
	if reason != nil {
		lost = wrapLost(reason)
	}
	m.failInflight(lost)
	switch m.status() {
	case messages.Ready, messages.Stale:
		m.setStatus(messages.Stale, transportError(reason))
	case messages.Loading:
		m.setStatus(messages.Loading, transportError(reason))
	}
	m.phase = phaseWaitSocket
}

func transportError(reason error) *messages.StateError {
	var cause any
	if reason != nil {
		cause = reason
	}
	return &messages.StateError{Kind: messages.KindTransport, Cause: cause}
}

// pushFailed: a frame queued on the socket was never written.
func (m *sessionMachine) pushFailed(msg *messages.PushFailed) {
	if msg.Ref == "" {
		return
	}
	if m.phase == phaseJoining && msg.Ref == m.joinRef {
		// The connection died with the join queued; SocketDown/SocketUp follow.
		stop(&m.joinCancel)
		m.releasePermit()
		m.joinRef = ""
		m.phase = phaseWaitSocket
		return
	}
	if req, ok := m.inflight[msg.Ref]; ok {
		delete(m.inflight, msg.Ref)
		m.endCall(req, CallResult{Outcome: CallFailed, Err: wrapLost(msg.Err)}, false)
	}
}
