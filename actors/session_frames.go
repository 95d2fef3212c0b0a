package actors

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// frameIn handles an inbound frame of this session's topic.
func (m *sessionMachine) frameIn(msg *messages.FrameIn) {
	if m.link == nil || m.gen == 0 || msg.Gen != m.gen {
		return // not on a live connection, or from an older one
	}
	f := &msg.Frame
	switch f.Event {
	case protocol.EventReply:
		m.reply(f)
	case protocol.EventError:
		if f.JoinRef != "" && f.JoinRef == m.joinRef {
			m.channelError(decodeCause(f.Payload))
		}
	case protocol.EventClose:
		if f.JoinRef != "" && f.JoinRef == m.joinRef {
			m.channelClosed()
		}
	default:
		if f.JoinRef != "" && f.JoinRef != m.joinRef {
			return // a push of an older join of this topic (SPEC K5)
		}
		m.event(f)
	}
}

// reply routes a phx_reply to the join or the call it answers.
func (m *sessionMachine) reply(f *protocol.Frame) {
	if f.Ref == "" {
		return
	}
	if m.phase == phaseJoining && f.Ref == m.joinRef {
		m.joinReplied(f)
		return
	}
	reply, err := f.Reply()
	if err != nil {
		m.warnDropped("phx: reply dropped", "ref", f.Ref, "err", err)
		if req, ok := m.inflight[f.Ref]; ok {
			delete(m.inflight, f.Ref)
			m.endCall(req, CallResult{Outcome: CallFailed, Err: err}, false)
		} else {
			m.droppedReply()
		}
		return
	}
	if !reply.OK() && reply.Reason() == protocol.ReasonUnmatchedTopic {
		// The server lost the channel (SPEC L4). Only a push of the current
		// join says so; older pushes were settled when their join ended.
		if req, ok := m.inflight[f.Ref]; ok || (m.phase == phaseJoined && refAfter(f.Ref, m.joinRef)) {
			if ok {
				delete(m.inflight, f.Ref)
				m.endCall(req, CallResult{Outcome: CallFailed, Err: messages.ErrChannelLost}, false)
			}
			if m.phase == phaseJoined {
				m.channelError(protocol.ReasonUnmatchedTopic)
			}
			return
		}
		m.droppedReply()
		return
	}
	req, ok := m.inflight[f.Ref]
	if !ok {
		// A cast's or leave's reply, a call already settled (timed out), or
		// a ref this session never sent: dropped, and counted.
		m.droppedReply()
		return
	}
	delete(m.inflight, f.Ref)
	if reply.OK() {
		m.endCall(req, CallResult{Outcome: CallOK, Response: reply.Response, Binary: reply.Binary}, false)
		return
	}
	res := CallResult{Outcome: CallError, Response: reply.Response, Binary: reply.Binary}
	res.ErrorValue, res.DecodeErr = m.decodeCallError(req.Action, reply)
	m.endCall(req, res, false)
}

func (m *sessionMachine) decodeCallError(def *ActionDef, reply protocol.Reply) (v any, err error) {
	if !reply.Binary && isNull(reply.Response) {
		return nil, nil // SPEC A3: nil when the reply is null
	}
	if def.DecodeError == nil {
		return json.RawMessage(cloneBytes(reply.Response)), nil
	}
	v, err = m.safeReduce(func() (any, error) { return def.DecodeError(reply.Response) })
	if err != nil {
		return json.RawMessage(cloneBytes(reply.Response)), err
	}
	return v, nil
}

// channelError: phx_error (the server channel crashed) or a push answered
// "unmatched topic". The channel is gone: a ready session goes stale with
// the value kept, calls in flight end, and it rejoins (SPEC L1, L4).
func (m *sessionMachine) channelError(cause any) {
	if m.phase == phaseJoining {
		stop(&m.joinCancel)
		m.releasePermit()
	}
	m.joinRef = ""
	m.failInflight(messages.ErrChannelLost)
	serr := &messages.StateError{Kind: messages.KindChannelError, Cause: cause}
	switch m.status() {
	case messages.Ready, messages.Stale:
		m.setStatus(messages.Stale, serr)
	default:
		m.setStatus(m.status(), serr)
	}
	if cause == protocol.ReasonUnmatchedTopic && m.gen != 0 {
		m.tryJoin() // the server forgot us: rejoin now
		return
	}
	m.scheduleRejoin()
}

// channelClosed: phx_close from the server ends the channel; no automatic
// rejoin (SPEC L2).
func (m *sessionMachine) channelClosed() {
	m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindClosed})
	m.close(messages.ErrChannelClosed)
}

// event reduces an inbound event into the value (SPEC E1). Events never
// touch buckets (E2); a payload that does not decode or a handler that
// panics drops the event, is logged and counted, and nothing else changes (E3).
func (m *sessionMachine) event(f *protocol.Frame) {
	h := m.handler(f.Event)
	if h == nil {
		if m.cfg.Unhandled != nil {
			_, _ = m.safeReduce(func() (any, error) { m.cfg.Unhandled(f.Event, f.Payload); return nil, nil })
		}
		return
	}
	cur := m.value()
	next, err := m.safeReduce(func() (any, error) { return h(cur, f.Payload, f.Binary) })
	if err != nil {
		m.stats.eventsDropped.Add(1)
		m.warnDropped("phx: event dropped", "event", f.Event, "err", err)
		return
	}
	m.stats.eventsApplied.Add(1)
	m.draft().s.Value = next
}

// safeReduce runs user code, turning a panic into an error (SPEC E3).
func (m *sessionMachine) safeReduce(fn func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("phx: handler panicked: %v", r)
		}
	}()
	return fn()
}

// decodeCause is the cause of a phx_error: its payload, nil when empty.
func decodeCause(payload []byte) any {
	v := decodeAny(payload)
	if obj, ok := v.(map[string]any); ok && len(obj) == 0 {
		return nil
	}
	return v
}

func isNull(b []byte) bool {
	s := trimSpace(b)
	return len(s) == 0 || string(s) == "null"
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// droppedReply counts a reply nobody waits for on the socket's
// DroppedUnknownRef counter.
func (m *sessionMachine) droppedReply() {
	if m.link != nil {
		m.link.DroppedUnknownRef()
	}
}

// warnDropped logs a dropped reply or event at most once a second per
// session, with the count of the ones held back since the last line.
func (m *sessionMachine) warnDropped(msg string, args ...any) {
	rl := m.stats.dropWarn.Load()
	if rl == nil {
		m.stats.dropWarn.CompareAndSwap(nil, &rateLimit{period: time.Second})
		rl = m.stats.dropWarn.Load()
	}
	ok, suppressed := rl.allow(time.Now())
	if !ok {
		return
	}
	m.logger().Warn(msg, append(args, "suppressed", suppressed)...)
}
