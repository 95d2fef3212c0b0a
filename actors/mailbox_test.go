package actors

import (
	"sync"
	"testing"
	"testing/synctest"

	"github.com/asynkron/protoactor-go/actor"
)

// recInvoker records what a mailbox hands over.
type recInvoker struct {
	mu        sync.Mutex
	user      []any
	sys       []any
	escalated []any
	panicOn   any
}

func (r *recInvoker) InvokeSystemMessage(m any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sys = append(r.sys, m)
}

func (r *recInvoker) InvokeUserMessage(m any) {
	r.mu.Lock()
	r.user = append(r.user, m)
	p := r.panicOn
	r.mu.Unlock()
	if p != nil && m == p {
		panic("boom")
	}
}

func (r *recInvoker) EscalateFailure(reason, m any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.escalated = append(r.escalated, m)
}

func (r *recInvoker) snapshot() (user, sys, esc []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any(nil), r.user...), append([]any(nil), r.sys...), append([]any(nil), r.escalated...)
}

func newTestMailbox(inv actor.MessageInvoker) *leanMailbox {
	m := newLeanMailbox().(*leanMailbox)
	m.RegisterHandlers(inv, actor.NewDefaultDispatcher(300))
	m.Start()
	return m
}

func TestLeanMailboxOrderAndDelivery(t *testing.T) {
	// spec: V1 — every message reaches the actor exactly once, each
	// sender's in order, one at a time, whatever the concurrency.
	synctest.Test(t, func(t *testing.T) {
		inv := &recInvoker{}
		m := newTestMailbox(inv)
		const senders, each = 8, 500
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for i := range each {
					m.PostUserMessage([2]int{s, i})
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		user, _, _ := inv.snapshot()
		if len(user) != senders*each {
			t.Fatalf("%d messages delivered, want %d", len(user), senders*each)
		}
		next := make([]int, senders)
		for _, u := range user {
			p := u.([2]int)
			if p[1] != next[p[0]] {
				t.Fatalf("sender %d: got message %d, want %d", p[0], p[1], next[p[0]])
			}
			next[p[0]]++
		}
		if m.UserMessageCount() != 0 || m.user != nil && cap(m.user) > keptQueueCap {
			t.Fatalf("drained mailbox holds %d messages, an array of %d", m.UserMessageCount(), cap(m.user))
		}
	})
}

func TestLeanMailboxSystemFirstAndSuspension(t *testing.T) {
	// System messages go before waiting user messages; a suspended mailbox
	// hands over system messages only, until resumed.
	synctest.Test(t, func(t *testing.T) {
		inv := &recInvoker{}
		m := newTestMailbox(inv)
		m.status.Store(mbRunning) // hold the run: queue first
		m.PostUserMessage("u1")
		m.PostSystemMessage(&actor.SuspendMailbox{})
		m.PostSystemMessage("s1")
		m.PostUserMessage("u2")
		m.status.Store(mbIdle)
		m.schedule()
		synctest.Wait()
		user, sys, _ := inv.snapshot()
		if len(user) != 0 || len(sys) != 1 || sys[0] != "s1" {
			t.Fatalf("suspended: user %v, system %v", user, sys)
		}
		m.PostSystemMessage(&actor.ResumeMailbox{})
		synctest.Wait()
		user, _, _ = inv.snapshot()
		if len(user) != 2 || user[0] != "u1" || user[1] != "u2" {
			t.Fatalf("resumed: user %v", user)
		}
	})
}

func TestLeanMailboxEscalatesPanics(t *testing.T) {
	// spec: V2 — a panic in the actor goes to its supervisor with the
	// message, and later messages are still handed over.
	synctest.Test(t, func(t *testing.T) {
		inv := &recInvoker{panicOn: "bad"}
		m := newTestMailbox(inv)
		m.status.Store(mbRunning)
		m.PostUserMessage("a")
		m.PostUserMessage("bad")
		m.PostUserMessage("c")
		m.status.Store(mbIdle)
		m.schedule()
		synctest.Wait()
		user, _, esc := inv.snapshot()
		if len(esc) != 1 || esc[0] != "bad" {
			t.Fatalf("escalated %v", esc)
		}
		if len(user) != 3 || user[2] != "c" {
			t.Fatalf("user %v", user)
		}
	})
}

func TestLeanMailboxRunsReadPumpFramesInline(t *testing.T) {
	// spec: W2 — a frame from the read pump is handled on the read pump
	// when the session is idle (no goroutine per event); while the session
	// runs elsewhere it is queued for that run.
	synctest.Test(t, func(t *testing.T) {
		inv := &recInvoker{}
		m := newTestMailbox(inv)
		in := &inbound{g: &inGauge{}, inline: true}
		m.PostUserMessage(in) // no synctest.Wait: handled before Post returns
		if user, _, _ := inv.snapshot(); len(user) != 1 || user[0] != in {
			t.Fatalf("an idle mailbox did not handle the frame inline: %v", user)
		}
		m.status.Store(mbRunning) // a run elsewhere holds the mailbox
		m.PostUserMessage(in)
		if user, _, _ := inv.snapshot(); len(user) != 1 {
			t.Fatalf("a busy mailbox handled the frame inline: %v", user)
		}
		if m.UserMessageCount() != 1 {
			t.Fatalf("%d messages queued, want 1", m.UserMessageCount())
		}
		m.status.Store(mbIdle)
		m.PostUserMessage("other") // not a frame: scheduled on a goroutine
		synctest.Wait()
		if user, _, _ := inv.snapshot(); len(user) != 3 {
			t.Fatalf("handled %v, want all three", user)
		}
	})
}
