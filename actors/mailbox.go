package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// leanMailbox is the mailbox of every socket and session actor: protoactor's
// default mailbox semantics (system messages first, suspension, a yield
// every throughput messages, a panic escalated to the supervisor) in about a
// third of its memory. The default one holds a 10-slot ring, a lock-free
// system queue and a closure allocated at every activation, ~380 bytes an
// actor; with 100,000 idle sessions that was the largest single cost. Here
// the queues are plain slices under a mutex, released when drained, and
// the run function is built once.
type leanMailbox struct {
	mu   sync.Mutex
	user []any // user[head:] waits
	head int
	sys  []any

	userN, sysN atomic.Int32
	status      atomic.Int32 // mbIdle or mbRunning
	suspended   atomic.Bool

	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	run        func()
}

const (
	mbIdle int32 = iota
	mbRunning
)

// keptQueueCap: a drained queue keeps an array this small (an idle actor
// holds no larger one).
const keptQueueCap = 4

// newLeanMailbox is the actor.MailboxProducer of leanMailbox.
func newLeanMailbox() actor.Mailbox { return &leanMailbox{} }

var _ actor.Mailbox = (*leanMailbox)(nil)

// PostUserMessage queues a user message and schedules the mailbox. An event
// from a socket's read pump (an *inbound marked inline) is handled on the
// read pump itself when the mailbox is idle: no goroutine is started per
// event, and the pump's grown stack is reused instead of growing a fresh
// goroutine's. The pump reads on once the mailbox is empty, so a session's
// slow handler holds up its socket's reads, as the backpressure gauge
// would. Replies (one per join or call) still run on a goroutine: handled
// inline they would grow every idle socket's read pump stack (4 -> 8 KB).
func (m *leanMailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	if m.head > 0 && len(m.user) == cap(m.user) && m.head >= len(m.user)/2 {
		n := copy(m.user, m.user[m.head:])
		clear(m.user[n:])
		m.user, m.head = m.user[:n], 0
	}
	m.user = append(m.user, msg)
	m.userN.Add(1)
	m.mu.Unlock()
	if in, ok := msg.(*inbound); ok && in.inline {
		if m.status.CompareAndSwap(mbIdle, mbRunning) {
			m.processMessages()
		}
		return
	}
	m.schedule()
}

// PostSystemMessage queues a system message and schedules the mailbox.
func (m *leanMailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys = append(m.sys, msg)
	m.sysN.Add(1)
	m.mu.Unlock()
	m.schedule()
}

// RegisterHandlers is called once, before any message.
func (m *leanMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker = invoker
	m.dispatcher = dispatcher
	m.run = m.processMessages
}

// Start is called when the actor starts; nothing to do.
func (m *leanMailbox) Start() {}

// UserMessageCount is the number of user messages waiting.
func (m *leanMailbox) UserMessageCount() int { return int(m.userN.Load()) }

func (m *leanMailbox) schedule() {
	if m.status.CompareAndSwap(mbIdle, mbRunning) {
		m.dispatcher.Schedule(m.run)
	}
}

func (m *leanMailbox) processMessages() {
	for {
		m.runMessages()
		m.status.Store(mbIdle)
		if m.sysN.Load() == 0 && (m.suspended.Load() || m.userN.Load() == 0) {
			return
		}
		if !m.status.CompareAndSwap(mbIdle, mbRunning) {
			return // another post scheduled a run
		}
	}
}

func (m *leanMailbox) runMessages() {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
	}()
	i, t := 0, m.dispatcher.Throughput()
	for {
		if i > t {
			i = 0
			runtime.Gosched()
		}
		i++
		if msg = m.popSys(); msg != nil {
			switch msg.(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			default:
				m.invoker.InvokeSystemMessage(msg)
			}
			continue
		}
		if m.suspended.Load() {
			return
		}
		if msg = m.popUser(); msg == nil {
			return
		}
		m.invoker.InvokeUserMessage(msg)
	}
}

func (m *leanMailbox) popSys() any {
	if m.sysN.Load() == 0 {
		return nil
	}
	m.mu.Lock()
	if len(m.sys) == 0 {
		m.mu.Unlock()
		return nil
	}
	msg := m.sys[0]
	m.sysN.Add(-1)
	m.sys[0] = nil
	m.sys = m.sys[1:]
	if len(m.sys) == 0 {
		m.sys = nil
	}
	m.mu.Unlock()
	return msg
}

func (m *leanMailbox) popUser() any {
	m.mu.Lock()
	if m.head == len(m.user) {
		if cap(m.user) > keptQueueCap {
			m.user = nil
		} else {
			m.user = m.user[:0]
		}
		m.head = 0
		m.mu.Unlock()
		return nil
	}
	msg := m.user[m.head]
	m.userN.Add(-1)
	m.user[m.head] = nil
	m.head++
	m.mu.Unlock()
	return msg
}
