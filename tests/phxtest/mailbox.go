package phxtest

import "sync"

// msgKind is what a channel's process is asked to do.
type msgKind uint8

const (
	msgPush     msgKind = iota + 1 // a client event: HandleIn
	msgLeave                       // phx_leave: reply ok, terminate, phx_close
	msgInfo                        // a function sent with ChannelSocket.Send (handle_info)
	msgShutdown                    // terminate without a frame (duplicate join, connection closed)
	msgKill                        // crash the channel (phx_error), no Terminate call
)

// chMsg is one message in a channel's mailbox.
type chMsg struct {
	kind    msgKind
	event   string
	ref     wireRef
	payload Payload
	fn      func(*ChannelSocket)
	reason  string
	// deferFinish (msgShutdown): the sender finishes the channel (phx_close,
	// presence, unsubscribe) itself, later.
	deferFinish bool
	// done (msgShutdown) receives true once this message ended the channel,
	// false when the channel had already ended.
	done chan bool
}

// reject answers a message that reached a dead channel.
func (m *chMsg) reject() {
	if m.done != nil {
		m.done <- false
	}
}

// mailbox is a channel's message queue. It owns a goroutine only while it
// has messages, so an idle channel costs no goroutine. It starts inactive:
// messages sent during Join wait until the join reply is queued.
type mailbox struct {
	mu      sync.Mutex
	q       []chMsg
	running bool
	active  bool
	dead    bool
}

// post queues m and starts the channel's goroutine if needed. A message to a
// dead channel is rejected.
func (ch *ChannelSocket) post(m chMsg) bool {
	mb := &ch.mb
	mb.mu.Lock()
	if mb.dead {
		mb.mu.Unlock()
		m.reject()
		return false
	}
	mb.q = append(mb.q, m)
	start := mb.active && !mb.running
	if start {
		mb.running = true
	}
	mb.mu.Unlock()
	if start {
		ch.srv.spawn(ch.run)
	}
	return true
}

// activate lets the mailbox run; called once the join reply is queued.
func (ch *ChannelSocket) activate() {
	mb := &ch.mb
	mb.mu.Lock()
	mb.active = true
	start := len(mb.q) > 0 && !mb.running && !mb.dead
	if start {
		mb.running = true
	}
	mb.mu.Unlock()
	if start {
		ch.srv.spawn(ch.run)
	}
}

// claim makes the caller the channel's process while the channel is idle
// (joined, nothing queued, no goroutine running); release gives it back.
func (ch *ChannelSocket) claim() bool {
	mb := &ch.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.running || mb.dead || !mb.active || len(mb.q) > 0 {
		return false
	}
	mb.running = true
	return true
}

func (ch *ChannelSocket) release() {
	mb := &ch.mb
	mb.mu.Lock()
	start := len(mb.q) > 0 && !mb.dead
	mb.running = start
	mb.mu.Unlock()
	if start {
		ch.srv.spawn(ch.run)
	}
}

// die marks the mailbox dead and rejects what is still queued.
func (ch *ChannelSocket) die() {
	mb := &ch.mb
	mb.mu.Lock()
	mb.dead = true
	rest := mb.q
	mb.q = nil
	mb.mu.Unlock()
	for i := range rest {
		rest[i].reject()
	}
}

func (ch *ChannelSocket) isDead() bool {
	ch.mb.mu.Lock()
	defer ch.mb.mu.Unlock()
	return ch.mb.dead
}

// run is the channel's process: it handles messages in order until the
// queue is empty, then exits.
func (ch *ChannelSocket) run() {
	mb := &ch.mb
	for {
		mb.mu.Lock()
		if len(mb.q) == 0 {
			mb.running = false
			mb.q = nil
			mb.mu.Unlock()
			return
		}
		m := mb.q[0]
		mb.q[0] = chMsg{}
		mb.q = mb.q[1:]
		dead := mb.dead
		mb.mu.Unlock()
		if dead {
			m.reject()
			continue
		}
		ch.handle(m)
	}
}
