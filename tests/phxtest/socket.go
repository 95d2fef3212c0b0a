package phxtest

import (
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/protocol"
)

// Channel states.
const (
	stateJoining int32 = iota
	stateJoined
	stateDead
)

// ChannelSocket is one joined channel: a topic on one connection, with its
// join_ref, its handler and its process (the Go side of Phoenix's channel
// socket). Its methods are safe for concurrent use.
type ChannelSocket struct {
	srv     *Server
	conn    *Conn
	topic   string
	joinRef wireRef
	h       Channel
	mb      mailbox
	state   atomic.Int32

	assignsMu sync.Mutex
	assigns   map[string]any

	finishOnce sync.Once
}

func newChannelSocket(c *Conn, topic string, joinRef wireRef, h Channel) *ChannelSocket {
	return &ChannelSocket{srv: c.srv, conn: c, topic: topic, joinRef: joinRef, h: h}
}

// Topic returns the channel's topic.
func (s *ChannelSocket) Topic() string { return s.topic }

// JoinRef returns the join_ref of the join that opened the channel ("" when
// it was null; the raw JSON when an odd client sent a non-string).
func (s *ChannelSocket) JoinRef() string { return s.joinRef.String() }

// Conn returns the connection the channel lives on.
func (s *ChannelSocket) Conn() *Conn { return s.conn }

// Server returns the server.
func (s *ChannelSocket) Server() *Server { return s.srv }

// Params returns the connection's connect params (the websocket URL query).
func (s *ChannelSocket) Params() url.Values { return s.conn.Params() }

// Joined reports whether the channel has joined and not ended.
func (s *ChannelSocket) Joined() bool { return s.state.Load() == stateJoined }

// Assign stores a value in the channel's assigns.
func (s *ChannelSocket) Assign(key string, v any) {
	s.assignsMu.Lock()
	defer s.assignsMu.Unlock()
	if s.assigns == nil {
		s.assigns = map[string]any{}
	}
	s.assigns[key] = v
}

// Assigned returns a value stored with Assign.
func (s *ChannelSocket) Assigned(key string) (any, bool) {
	s.assignsMu.Lock()
	defer s.assignsMu.Unlock()
	v, ok := s.assigns[key]
	return v, ok
}

// Push sends event to this client only: [join_ref, null, topic, event,
// payload] (a binary payload goes as a binary push, kind 0). It fails with
// ErrNotJoined before the join reply is sent (Phoenix raises then) and after
// the channel ended.
func (s *ChannelSocket) Push(event string, p Payload) error {
	if p.err != nil {
		return p.err
	}
	if s.state.Load() != stateJoined {
		return ErrNotJoined
	}
	return s.conn.send(&outFrame{joinRef: s.joinRef, topic: s.topic, event: event, payload: p.wire(), binary: p.binary})
}

// Broadcast sends event to every connection subscribed to the topic,
// including this one: [null, null, topic, event, payload] (a binary payload
// goes as kind 2). It returns once the frame is in every subscriber's write
// queue, so a reply sent after it arrives after it.
func (s *ChannelSocket) Broadcast(event string, p Payload) error {
	return s.srv.broadcast(s.topic, event, p, nil)
}

// BroadcastFrom is Broadcast to every subscriber but this connection.
func (s *ChannelSocket) BroadcastFrom(event string, p Payload) error {
	return s.srv.broadcast(s.topic, event, p, s.conn)
}

// Send runs fn in the channel's process after the messages already queued
// (Phoenix's send(self(), msg) with handle_info). A function sent during Join
// runs after the join reply is sent. A panic in fn crashes the channel.
func (s *ChannelSocket) Send(fn func(*ChannelSocket)) error {
	if !s.post(chMsg{kind: msgInfo, fn: fn}) {
		return ErrNotJoined
	}
	return nil
}

// Crash kills the channel after the messages already queued: the client
// gets phx_error, Terminate is not called (Process.exit(pid, :kill)).
func (s *ChannelSocket) Crash() { s.post(chMsg{kind: msgKill, reason: ReasonKilled}) }

// Sleep waits for d, or less when the connection or the server closes
// meanwhile; it reports whether the whole d passed. Handlers use it for slow
// work so that closing never waits for them.
func (s *ChannelSocket) Sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.conn.dying:
		return false
	case <-s.srv.closing:
		return false
	}
}

// handle runs one message in the channel's process.
func (s *ChannelSocket) handle(m chMsg) {
	switch m.kind {
	case msgPush:
		s.handlePush(m)
	case msgLeave:
		s.die()
		s.sendReply(m.ref, protocol.EventLeave, "ok", Payload{})
		s.terminate(ReasonLeft)
		s.finish(notifyClose)
	case msgInfo:
		if crash := s.callInfo(m.fn); crash != nil {
			s.crash(fmt.Sprintf("crash: %v", crash), true)
		}
	case msgShutdown:
		s.die()
		s.terminate(m.reason)
		if !m.deferFinish {
			s.finish(notifyNone)
		}
		m.done <- true
	case msgKill:
		s.crash(m.reason, false)
	}
}

func (s *ChannelSocket) handlePush(m chMsg) {
	res, crash := s.callHandleIn(m.event, m.payload)
	if crash != nil {
		s.crash(fmt.Sprintf("crash: %v", crash), true)
		return
	}
	if res.reply {
		s.sendReply(m.ref, m.event, res.status, res.payload)
	}
	if res.stop {
		s.die()
		s.terminate(res.reason)
		if isCleanExit(res.reason) {
			s.finish(notifyClose)
		} else {
			s.finish(notifyError)
		}
	}
}

// sendReply sends a reply to a push of event, applying the server's reply
// faults (delay, withhold) for that event.
func (s *ChannelSocket) sendReply(ref wireRef, event, status string, p Payload) {
	fault := s.srv.replyFault(event)
	if fault.withhold || s.state.Load() == stateDead {
		return
	}
	if fault.delay > 0 && !s.Sleep(fault.delay) {
		return
	}
	if p.err != nil {
		s.srv.log.Warn("phxtest: reply payload", "topic", s.topic, "event", event, "err", p.err)
		p = Payload{}
	}
	_ = s.conn.send(replyFrame(s.joinRef, ref, s.topic, nil, status, p))
}

func (s *ChannelSocket) crash(reason string, callTerminate bool) {
	s.die()
	s.srv.log.Debug("phxtest: channel crashed", "topic", s.topic, "reason", reason)
	if callTerminate {
		s.terminate(reason)
	}
	s.finish(notifyError)
}

func (s *ChannelSocket) callJoin(p Payload) (reply Payload, err error, crash any) {
	defer func() {
		if r := recover(); r != nil {
			crash = r
		}
	}()
	reply, err = s.h.Join(s.topic, p, s)
	return reply, err, nil
}

func (s *ChannelSocket) callHandleIn(event string, p Payload) (res Result, crash any) {
	defer func() {
		if r := recover(); r != nil {
			crash = r
		}
	}()
	return s.h.HandleIn(event, p, s), nil
}

func (s *ChannelSocket) callInfo(fn func(*ChannelSocket)) (crash any) {
	defer func() {
		if r := recover(); r != nil {
			crash = r
		}
	}()
	fn(s)
	return nil
}

func (s *ChannelSocket) terminate(reason string) {
	defer func() {
		if r := recover(); r != nil {
			s.srv.log.Warn("phxtest: Terminate panicked", "topic", s.topic, "panic", r)
		}
	}()
	s.h.Terminate(reason, s)
}

// notify says which frame tells the client that a channel ended.
type notify uint8

const (
	notifyNone  notify = iota // the connection is gone
	notifyClose               // phx_close
	notifyError               // phx_error
)

// finish ends a channel that died: it leaves the connection's table, tells
// the client (phx_close or phx_error, ref = join_ref), unsubscribes, and
// untracks its presences (their leave diff goes to the other subscribers).
func (s *ChannelSocket) finish(n notify) {
	s.finishOnce.Do(func() {
		s.state.Store(stateDead)
		s.conn.removeChannel(s)
		switch n {
		case notifyClose:
			_ = s.conn.send(&outFrame{joinRef: s.joinRef, ref: s.joinRef, topic: s.topic, event: protocol.EventClose})
		case notifyError:
			_ = s.conn.send(&outFrame{joinRef: s.joinRef, ref: s.joinRef, topic: s.topic, event: protocol.EventError, payload: s.srv.errorPayload()})
		}
		// Unsubscribed first: the presence leave reaches the other
		// subscribers, and this connection only if it joined the topic
		// again (a duplicate join). Phoenix races here and mostly does the
		// same (see the replay tests).
		s.srv.unsubscribe(s)
		s.srv.untrackChannel(s)
	})
}

// beginShutdown asks the channel's process to terminate with reason. An
// idle channel is shut down at once on the caller's goroutine (it is then
// the channel's process); a busy one gets the message after those queued.
// The returned channel receives whether this shutdown ended the channel.
func (s *ChannelSocket) beginShutdown(reason string, deferFinish bool) <-chan bool {
	m := chMsg{kind: msgShutdown, reason: reason, deferFinish: deferFinish, done: make(chan bool, 1)}
	if s.claim() {
		s.handle(m)
		s.release()
	} else {
		s.post(m)
	}
	return m.done
}

// awaitShutdown waits for a shutdown begun with beginShutdown until
// deadline fires; a channel that did not end by then is killed: whatever
// its stuck handler does next is dropped. It reports whether the caller
// must finish the channel (deferFinish).
func (s *ChannelSocket) awaitShutdown(done <-chan bool, deadline <-chan time.Time, deferFinish bool) (mustFinish bool) {
	select {
	case ended := <-done:
		return ended && deferFinish
	case <-deadline:
	case <-s.srv.closing:
	}
	s.die()
	s.state.Store(stateDead)
	if deferFinish {
		return true
	}
	s.finish(notifyNone)
	return false
}

// shutdown is beginShutdown and awaitShutdown with Phoenix's 5 s limit.
func (s *ChannelSocket) shutdown(reason string, deferFinish bool) (mustFinish bool) {
	done := s.beginShutdown(reason, deferFinish)
	select {
	case ended := <-done:
		return ended && deferFinish
	default:
	}
	t := time.NewTimer(shutdownWait)
	defer t.Stop()
	return s.awaitShutdown(done, t.C, deferFinish)
}

// shutdownWait is how long a channel may take to terminate before it is
// considered killed.
const shutdownWait = 5 * time.Second
