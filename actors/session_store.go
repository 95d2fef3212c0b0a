package actors

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// subscriberQueue is how many undelivered states one subscriber may hold;
// past it the oldest waiting state is dropped (SPEC M5). The latest state is
// never dropped.
const subscriberQueue = 16

// Store holds a session's latest Snapshot and its subscribers. The session
// actor publishes; any goroutine reads the latest snapshot without blocking
// and subscribes. Delivery to each subscriber runs off the actor, in order,
// on a goroutine that exists only while that subscriber has states waiting
// (an idle store owns no goroutine).
type Store struct {
	cur    atomic.Pointer[Snapshot]
	logger *slog.Logger

	mu     sync.Mutex
	subs   []*subscriber
	nextID uint64

	stats sessionCounters
}

// sessionCounters are a session's counters, shared by its machine and store
// (SPEC E3 reports dropped events here).
type sessionCounters struct {
	eventsApplied atomic.Uint64
	eventsDropped atomic.Uint64
	statesDropped atomic.Uint64
	joins         atomic.Uint64
	// dropWarn limits "dropped" warnings to one a second per session: a
	// hostile or buggy server must not flood the log. Allocated on first use.
	dropWarn atomic.Pointer[rateLimit]
}

// NewStore returns a store whose current state is initial.
func NewStore(initial *Snapshot, logger *slog.Logger) *Store {
	if logger == nil {
		logger = sessionNopLogger
	}
	st := &Store{logger: logger}
	st.cur.Store(initial)
	return st
}

// Current returns the latest snapshot; it never blocks.
func (st *Store) Current() *Snapshot { return st.cur.Load() }

// Publish makes s the current snapshot and queues it for every subscriber.
// It never blocks on a subscriber (SPEC M5).
func (st *Store) Publish(s *Snapshot) {
	st.mu.Lock()
	st.cur.Store(s)
	for _, sub := range st.subs {
		sub.offer(s)
	}
	st.mu.Unlock()
}

// Subscribe adds fn. fn gets the current snapshot at once, on the calling
// goroutine, then every later snapshot in order (SPEC M2); calls to one fn
// never overlap. The returned cancel stops delivery (a call already running
// finishes) and reports whether it removed the subscriber (false on a second
// call).
func (st *Store) Subscribe(fn func(*Snapshot)) (cancel func() bool) {
	sub := &subscriber{fn: fn, store: st, running: true}
	st.mu.Lock()
	st.nextID++
	sub.id = st.nextID
	first := st.cur.Load()
	st.subs = append(st.subs, sub)
	st.mu.Unlock()

	sub.deliver(first)
	sub.mu.Lock()
	sub.startLocked()
	sub.mu.Unlock()

	return func() bool {
		st.mu.Lock()
		removed := false
		for i, s := range st.subs {
			if s == sub {
				st.subs = append(st.subs[:i:i], st.subs[i+1:]...)
				removed = true
				break
			}
		}
		st.mu.Unlock()
		sub.mu.Lock()
		sub.closed = true
		sub.queue = nil
		sub.mu.Unlock()
		return removed
	}
}

// Subscribers returns how many subscribers the store has.
func (st *Store) Subscribers() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.subs)
}

// StoreStats are a store's counters.
type StoreStats struct {
	EventsApplied uint64 // events reduced into the value
	EventsDropped uint64 // events whose payload did not decode or whose handler panicked (SPEC E3)
	StatesSkipped uint64 // intermediate states a slow subscriber skipped (SPEC M5)
	Joins         uint64 // successful joins
}

// Stats returns the store's counters.
func (st *Store) Stats() StoreStats {
	return StoreStats{
		EventsApplied: st.stats.eventsApplied.Load(),
		EventsDropped: st.stats.eventsDropped.Load(),
		StatesSkipped: st.stats.statesDropped.Load(),
		Joins:         st.stats.joins.Load(),
	}
}

type subscriber struct {
	id    uint64
	fn    func(*Snapshot)
	store *Store

	mu      sync.Mutex
	queue   []*Snapshot
	running bool // a goroutine (or Subscribe itself) is delivering
	closed  bool
}

// offer queues s; the caller holds the store lock, so offers arrive in
// publish order.
func (sub *subscriber) offer(s *Snapshot) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	if len(sub.queue) >= subscriberQueue {
		// Drop the oldest waiting state: intermediate, never the latest.
		copy(sub.queue, sub.queue[1:])
		sub.queue = sub.queue[:len(sub.queue)-1]
		sub.store.stats.statesDropped.Add(1)
	}
	sub.queue = append(sub.queue, s)
	if !sub.running {
		sub.running = true
		go sub.drain()
	}
}

// startLocked hands delivery over after the synchronous first state: it
// starts a drain goroutine when states queued up meanwhile.
func (sub *subscriber) startLocked() {
	if len(sub.queue) == 0 || sub.closed {
		sub.running = false
		return
	}
	go sub.drain()
}

func (sub *subscriber) drain() {
	for {
		sub.mu.Lock()
		if len(sub.queue) == 0 || sub.closed {
			sub.queue = nil
			sub.running = false
			sub.mu.Unlock()
			return
		}
		s := sub.queue[0]
		sub.queue[0] = nil
		sub.queue = sub.queue[1:]
		sub.mu.Unlock()
		sub.deliver(s)
	}
}

// deliver calls fn; a panicking subscriber is logged and does not stop the
// delivery of later states.
func (sub *subscriber) deliver(s *Snapshot) {
	defer func() {
		if r := recover(); r != nil {
			sub.store.logger.Error("phx: session subscriber panicked", "panic", r)
		}
	}()
	sub.fn(s)
}
