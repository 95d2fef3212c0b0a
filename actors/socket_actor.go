package actors

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// Messages of the socket actor to itself.
type (
	dialResult struct {
		attempt uint64
		ws      *websocket.Conn
		bc      *bufConn
		err     error
	}
	hbTick  struct{ gen uint64 }
	hbReply struct {
		gen uint64
		ref string
		at  time.Time
	}
	connEnded struct {
		gen uint64
		err error
	}
)

// The socket's own messages may reach it after it stopped: not worth a
// dead-letter log line.
func (*dialResult) IgnoreDeadLetterLogging() {}
func (*hbTick) IgnoreDeadLetterLogging()     {}
func (*hbReply) IgnoreDeadLetterLogging()    {}
func (*connEnded) IgnoreDeadLetterLogging()  {}

// socketFailure is the panic value of a socket whose connect failed or whose
// connection ended: the socket strategy restarts the actor after delay.
type socketFailure struct {
	err   error
	delay time.Duration
}

func (f *socketFailure) RestartDelay() time.Duration { return f.delay }
func (f *socketFailure) Error() string               { return f.err.Error() }
func (f *socketFailure) Unwrap() error               { return f.err }

// socketActor owns one websocket connection at a time. It starts by dialing;
// a failed dial or an ended connection is a panic that the socket strategy
// answers with a restart after the backoff (SPEC K1, K2a). Long-lived state
// is in its core.
type socketActor struct {
	core  *socketCore
	conn  *wsConn
	hb    *time.Timer
	hbRef string // ref of the heartbeat awaiting its reply, "" when none
	hbAt  time.Time
}

// Receive handles the actor's messages; it never blocks.
func (a *socketActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.dial(ctx)
	case *dialResult:
		a.dialed(ctx, m)
	case *hbTick:
		a.tick(ctx, m)
	case *hbReply:
		a.heartbeatReply(ctx, m)
	case *connEnded:
		if a.conn != nil && m.gen == a.conn.gen {
			a.down(ctx, m.err)
		}
	case *actor.Restarting, *actor.Stopping:
		a.cleanup()
	}
}

// dial starts one connect off the actor.
func (a *socketActor) dial(ctx actor.Context) {
	c := a.core
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.attempt++
	attempt := c.attempt
	dctx, cancel := context.WithCancel(c.sys.dialCtx)
	c.dialCancel = cancel
	c.mu.Unlock()
	c.setStatus(messages.SocketEvent{Status: messages.SocketConnecting})
	self, root := ctx.Self(), c.sys.as.Root
	ok := c.sys.goTracked(func() {
		ws, bc, err := c.dial(dctx)
		cancel()
		root.Send(self, &dialResult{attempt: attempt, ws: ws, bc: bc, err: err})
	})
	if !ok {
		cancel()
	}
}

// dialed opens the connection or fails.
func (a *socketActor) dialed(ctx actor.Context, m *dialResult) {
	c := a.core
	c.mu.Lock()
	stale := m.attempt != c.attempt || c.closing
	if !stale {
		c.dialCancel = nil
	}
	c.mu.Unlock()
	if stale {
		if m.ws != nil {
			_ = m.bc.Close()
		}
		return
	}
	if m.err != nil {
		c.ctr.connectFailures.Add(1)
		c.mu.Lock()
		c.dialErr = m.err
		c.mu.Unlock()
		// Attached sessions learn why they cannot join yet (a loading
		// session shows a transport error rather than nothing); sessions
		// attaching later are told by Attach.
		c.broadcast(&messages.SocketDown{Socket: c.id, Gen: 0, Reason: m.err})
		a.fail(m.err)
		return
	}
	a.open(ctx, m.ws, m.bc)
}

// open starts the pumps of a new connection, tells the sessions, and
// schedules the first heartbeat one interval later (SPEC K2: a new
// connection has no pending heartbeat).
func (a *socketActor) open(ctx actor.Context, ws *websocket.Conn, bc *bufConn) {
	c := a.core
	c.mu.Lock()
	c.gen++
	gen := c.gen
	cn := newWsConn(c, gen, ws, bc)
	c.tries = 0
	c.dialErr = nil
	c.conns = append(c.conns, cn)
	c.joins.reset()
	c.mu.Unlock()
	if !cn.start() {
		_ = bc.Close()
		return
	}
	a.conn = cn
	a.hbRef = ""
	c.live.Store(cn)
	if c.ctr.connects.Add(1) > 1 {
		c.ctr.reconnects.Add(1)
	}
	c.sys.logger.Info("phx: socket connected", "socket", c.id, "gen", gen)
	c.setStatus(messages.SocketEvent{Status: messages.SocketOpen, Gen: gen})
	c.broadcast(&messages.SocketUp{Socket: c.id, Gen: gen})
	a.schedule(ctx, gen)
}

func (a *socketActor) schedule(ctx actor.Context, gen uint64) {
	if a.hb != nil {
		a.hb.Stop()
	}
	self, root := ctx.Self(), a.core.sys.as.Root
	a.hb = time.AfterFunc(a.core.cfg.HeartbeatInterval, func() { root.Send(self, &hbTick{gen: gen}) })
}

// tick sends a heartbeat, or declares the connection dead when the previous
// one is still unanswered (SPEC K2).
func (a *socketActor) tick(ctx actor.Context, m *hbTick) {
	cn := a.conn
	if cn == nil || m.gen != cn.gen {
		return
	}
	c := a.core
	if a.hbRef != "" {
		c.ctr.heartbeatTimeouts.Add(1)
		err := &messages.ConnectionError{Op: "heartbeat", Err: errHeartbeatTimeout}
		cn.abort(err, websocket.CloseNormalClosure, "heartbeat timeout")
		a.down(ctx, err)
		return
	}
	ref := c.refs.Next()
	a.hbRef, a.hbAt = ref, time.Now()
	// A full queue leaves the heartbeat unsent: unanswered, it ends the
	// connection at the next tick, as a stuck connection should.
	_ = cn.enqueue(&protocol.Frame{Ref: ref, Topic: protocol.TopicPhoenix, Event: protocol.EventHeartbeat}, nil)
	c.ctr.heartbeatsSent.Add(1)
	a.schedule(ctx, cn.gen)
}

// heartbeatReply records the round trip and schedules the next heartbeat one
// interval after the reply, as the official client does.
func (a *socketActor) heartbeatReply(ctx actor.Context, m *hbReply) {
	cn := a.conn
	if cn == nil || m.gen != cn.gen || a.hbRef == "" || m.ref != a.hbRef {
		a.core.ctr.droppedUnknownRef.Add(1) // a late or unsolicited reply
		return
	}
	a.hbRef = ""
	a.core.ctr.rtt.Store(int64(m.at.Sub(a.hbAt)))
	a.schedule(ctx, cn.gen)
}

// down handles the end of the live connection: sessions hear SocketDown;
// then, unless the user is closing, the actor fails to be restarted.
func (a *socketActor) down(_ actor.Context, err error) {
	c := a.core
	cn := a.conn
	a.conn, a.hbRef = nil, ""
	if a.hb != nil {
		a.hb.Stop()
		a.hb = nil
	}
	c.live.CompareAndSwap(cn, nil)
	c.mu.RLock()
	closing := c.closing
	c.mu.RUnlock()
	if closing {
		c.broadcast(&messages.SocketDown{Socket: c.id, Gen: cn.gen, Reason: messages.ErrClosed})
		c.setStatus(messages.SocketEvent{Status: messages.SocketClosed, Gen: cn.gen})
		return
	}
	c.ctr.disconns.Add(1)
	c.broadcast(&messages.SocketDown{Socket: c.id, Gen: cn.gen, Reason: err})
	a.fail(err)
}

// fail schedules the reconnect: it panics with the backoff delay of the
// next try, which the socket strategy turns into a delayed restart.
func (a *socketActor) fail(err error) {
	c := a.core
	c.mu.Lock()
	c.tries++
	delay := c.cfg.Backoff.Delay(c.tries)
	c.mu.Unlock()
	level := "phx: socket connection lost; reconnecting"
	var ce *messages.ConnectionError
	if errors.As(err, &ce) && ce.Op == "dial" {
		level = "phx: socket connect failed; retrying"
	}
	c.sys.logger.Warn(level, "socket", c.id, "error", err, "retry_in", delay)
	c.setStatus(messages.SocketEvent{Status: messages.SocketClosed, Err: err, RetryIn: delay})
	panic(&socketFailure{err: err, delay: delay})
}

// cleanup releases what the actor instance holds before a restart or stop.
func (a *socketActor) cleanup() {
	if a.hb != nil {
		a.hb.Stop()
		a.hb = nil
	}
	if cn := a.conn; cn != nil {
		a.conn = nil
		a.core.live.CompareAndSwap(cn, nil)
		cn.fail(messages.ErrClosed)
	}
}
