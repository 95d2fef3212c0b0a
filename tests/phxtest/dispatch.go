package phxtest

import (
	"errors"

	"github.com/rvct/phoenix/protocol"
)

var (
	unmatchedTopic = JSON(map[string]string{"reason": protocol.ReasonUnmatchedTopic})
	tooManyJoined  = JSON(map[string]string{"reason": protocol.ReasonTooManyJoined})
	joinCrashed    = JSON(map[string]string{"reason": protocol.ReasonJoinCrashed})
)

// dispatch handles one client frame on the transport, as Phoenix.Socket
// does. An error means the frame could not be decoded: the transport
// crashes (close 1011).
func (c *Conn) dispatch(binary bool, data []byte) error {
	in, err := decodeIn(c.ser, data, binary)
	if err != nil {
		return err
	}
	if in.rawTopic == nil && !in.oddEvent && in.topic == protocol.TopicPhoenix && in.event == protocol.EventHeartbeat {
		c.heartbeat(in)
		return nil
	}
	var ch *ChannelSocket
	if in.rawTopic == nil {
		ch = c.Channel(in.topic)
	}
	isJoin := !in.oddEvent && in.event == protocol.EventJoin
	isLeave := !in.oddEvent && in.event == protocol.EventLeave
	switch {
	case isJoin:
		c.join(in, ch)
	case ch == nil && isLeave:
		// Leaving a topic that is not joined is fine: ok, join_ref echoed.
		c.reply(in.joinRef, in, "ok", Payload{})
	case ch == nil:
		c.reply(wireRef{}, in, "error", unmatchedTopic)
	case isLeave:
		if in.joinRef.isNull() || in.joinRef == ch.joinRef {
			ch.post(chMsg{kind: msgLeave, ref: in.ref})
		}
		// A leave with another join_ref raced a server close: no reply.
	case c.srv.cfg.profile >= Phoenix18 && !in.joinRef.isNull() && in.joinRef != ch.joinRef:
		// Phoenix 1.8.3+: a push with a stale join_ref is ignored.
	default:
		ch.post(chMsg{kind: msgPush, event: in.event, ref: in.ref, payload: in.payload})
	}
	return nil
}

func (c *Conn) heartbeat(in inFrame) {
	if c.stallHB.Load() || c.srv.stallHB.Load() {
		return
	}
	c.reply(wireRef{}, in, "ok", Payload{})
}

// reply answers frame in from the transport.
func (c *Conn) reply(joinRef wireRef, in inFrame, status string, p Payload) {
	_ = c.send(replyFrame(joinRef, in.ref, in.topic, in.rawTopic, status, p))
}

// join handles phx_join. old is the channel already joined on the topic, if
// any: it is closed first, and its phx_close follows the new join's reply.
func (c *Conn) join(in inFrame, old *ChannelSocket) {
	var r *route
	if in.rawTopic == nil {
		r = c.srv.route(in.topic)
	}
	if r == nil {
		c.reply(wireRef{}, in, "error", unmatchedTopic)
		return
	}
	finishOld := false
	if old != nil {
		finishOld = old.shutdown(ReasonDuplicateJoin, true)
	}
	defer func() {
		if finishOld {
			old.finish(notifyClose)
		}
	}()
	c.mu.Lock()
	n := len(c.channels)
	c.mu.Unlock()
	if n >= c.srv.cfg.maxChannels {
		c.reply(in.joinRef, in, "error", tooManyJoined)
		return
	}
	ch := newChannelSocket(c, in.topic, in.joinRef, r.factory())
	reply, err, crash := ch.callJoin(in.payload)
	fault := c.srv.replyFault(protocol.EventJoin)
	if fault.delay > 0 && !ch.Sleep(fault.delay) {
		fault.withhold = true
	}
	if crash == nil && err == nil {
		c.mu.Lock()
		c.channels[in.topic] = ch
		c.mu.Unlock()
		c.srv.subscribe(ch)
		if reply.err != nil {
			c.srv.log.Warn("phxtest: join reply payload", "topic", in.topic, "err", reply.err)
			reply = Payload{}
		}
		if !fault.withhold {
			c.reply(in.joinRef, in, "ok", reply)
		}
		ch.state.Store(stateJoined)
		if finishOld {
			finishOld = false
			old.finish(notifyClose)
		}
		ch.activate()
		if c.srv.debug {
			c.srv.log.Debug("phxtest: joined", "conn", c.num, "topic", in.topic)
		}
		return
	}
	ch.die()
	ch.state.Store(stateDead)
	resp := joinCrashed
	if crash == nil {
		resp = joinErrorReply(err)
	} else {
		c.srv.log.Debug("phxtest: join crashed", "topic", in.topic, "panic", crash)
	}
	if !fault.withhold {
		c.reply(in.joinRef, in, "error", resp)
	}
}

func joinErrorReply(err error) Payload {
	var je *JoinError
	if errors.As(err, &je) {
		if je.Reply.err != nil {
			return JSON(map[string]string{"reason": je.Reply.err.Error()})
		}
		return je.Reply
	}
	return JSON(map[string]string{"reason": err.Error()})
}
