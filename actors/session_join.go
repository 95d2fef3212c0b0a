package actors

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

var emptyObject = []byte("{}")

// tryJoin joins when the socket is connected, asking for a paced slot first
// (SPEC L5); otherwise it waits for SocketUp or JoinPermit.
func (m *sessionMachine) tryJoin() {
	if m.link == nil {
		return
	}
	if m.gen == 0 {
		m.phase = phaseWaitSocket
		return
	}
	if !m.permit {
		if !m.link.AcquireJoin(m.gen, m.self) {
			m.phase = phaseWaitPermit
			return
		}
		m.permit = true
	}
	m.sendJoin()
}

// joinPermit: a paced join slot is ours now.
func (m *sessionMachine) joinPermit(msg *messages.JoinPermit) {
	if m.link == nil {
		return
	}
	if m.phase != phaseWaitPermit || msg.Gen != m.gen || m.permit {
		m.link.ReleaseJoin(msg.Gen, m.self) // not wanted any more: give it back
		return
	}
	m.permit = true
	m.sendJoin()
}

// sendJoin pushes phx_join with a fresh join_ref and the join params of the
// current value (SPEC J5), and arms the join timeout (SPEC J3).
func (m *sessionMachine) sendJoin() {
	payload := emptyObject
	if m.cfg.JoinParams != nil {
		p, err := m.safeJoinParams()
		if err != nil {
			m.releasePermit()
			m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindConnectError, Cause: err})
			m.scheduleRejoin()
			return
		}
		payload = p
	}
	ref := m.link.NextRef()
	m.link.SetJoinRef(m.cfg.Topic, ref)
	m.joinRef = ref
	f := protocol.Frame{JoinRef: ref, Ref: ref, Topic: m.cfg.Topic, Event: protocol.EventJoin, Payload: payload}
	if err := m.send(f); err != nil {
		m.releasePermit()
		m.joinRef = ""
		if errors.Is(err, messages.ErrNotConnected) {
			m.phase = phaseWaitSocket // SocketDown/SocketUp follow
			return
		}
		m.scheduleRejoin() // queue full: try again later
		return
	}
	m.phase = phaseJoining
	m.joinCancel = m.port.after(m.cfg.JoinTimeout, joinTimedOut{ref: ref})
}

func (m *sessionMachine) safeJoinParams() (p []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("phx: join params panicked: %v", r)
		}
	}()
	return m.cfg.JoinParams(m.value())
}

// joinReplied settles the join with its reply (SPEC J1, J2, J4, K6a).
func (m *sessionMachine) joinReplied(f *protocol.Frame) {
	stop(&m.joinCancel)
	m.releasePermit()
	reply, err := f.Reply()
	if err != nil {
		reply = protocol.Reply{Status: protocol.StatusError, Response: f.Payload}
	}
	if reply.OK() {
		m.joined(reply.Response)
		return
	}
	switch reply.Reason() {
	case protocol.ReasonTooManyJoined:
		m.joinRef = ""
		m.move()
		return
	case protocol.ReasonUnmatchedTopic:
		// No channel route for this topic: permanent (SPEC J4).
		m.joinRef = ""
		m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindConnectError, Cause: m.joinErrorCause(reply.Response)})
		m.close(messages.ErrChannelClosed)
		return
	}
	m.joinRef = ""
	m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindConnectError, Cause: m.joinErrorCause(reply.Response)})
	m.scheduleRejoin()
}

// joined: status ready, error nil, value through Connect.Ok, then the
// buffered pushes go out with the new join_ref (SPEC J1, A8).
func (m *sessionMachine) joined(response []byte) {
	m.phase = phaseJoined
	m.tries = 0
	m.stats.joins.Add(1)
	d := m.draft()
	d.s.Status = messages.Ready
	d.s.Error = nil
	if m.cfg.JoinOk != nil {
		if v, err := m.safeReduce(func() (any, error) { return m.cfg.JoinOk(d.s.Value, response) }); err != nil {
			m.stats.eventsDropped.Add(1)
			m.logger().Warn("phx: join reply dropped", "err", err)
		} else {
			d.s.Value = v
		}
	}
	m.flushBuffer()
}

func (m *sessionMachine) joinErrorCause(response []byte) any {
	if m.cfg.JoinError != nil {
		c, err := m.safeReduce(func() (any, error) { return m.cfg.JoinError(response) })
		if err == nil {
			return c
		}
		m.logger().Warn("phx: join error reply did not decode", "err", err)
	}
	return decodeAny(response)
}

// joinTimedOut: no reply in time (SPEC J3). As the official client, leave
// that join (a late reply then closes it on the server) and retry later.
func (m *sessionMachine) joinTimedOut(msg joinTimedOut) {
	if m.phase != phaseJoining || msg.ref != m.joinRef {
		return
	}
	m.joinCancel = nil
	m.releasePermit()
	m.sendLeave(m.joinRef)
	m.joinRef = ""
	m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindConnectTimeout})
	m.scheduleRejoin()
}

// scheduleRejoin arms the rejoin timer with the backoff of this try (SPEC
// J4), or gives up after MaxJoinTries.
func (m *sessionMachine) scheduleRejoin() {
	m.tries++
	if m.cfg.MaxJoinTries > 0 && m.tries >= m.cfg.MaxJoinTries {
		m.close(messages.ErrChannelClosed)
		return
	}
	if m.gen == 0 {
		m.phase = phaseWaitSocket
		return
	}
	m.phase = phaseBackoff
	m.rejoinSeq++
	m.rejoinCancel = m.port.after(m.cfg.Rejoin.Delay(m.tries), rejoinDue{seq: m.rejoinSeq})
}

// move: the socket has too many channels; the endpoint places the session
// on another socket and it joins there (SPEC K6a).
func (m *sessionMachine) move() {
	old := m.link
	m.link.Detach(m.cfg.Topic, m.self)
	m.link, m.gen = nil, 0
	link, err := m.port.place(old)
	m.port.unplace(old)
	if err != nil {
		m.setStatus(messages.Failed, &messages.StateError{Kind: messages.KindTransport, Cause: err})
		m.close(messages.ErrChannelClosed)
		return
	}
	m.attach(link)
	m.tryJoin()
}

// close ends the channel for good (until remounted): pending calls fail with
// cause, the socket is given back, nothing rejoins.
func (m *sessionMachine) close(cause error) {
	stop(&m.joinCancel)
	stop(&m.rejoinCancel)
	m.releasePermit()
	m.joinRef = ""
	m.failInflight(cause)
	m.failBuffer(cause)
	m.detach()
	m.phase = phaseClosed
}

func (m *sessionMachine) sendLeave(joinRef string) {
	if m.link == nil || m.gen == 0 {
		return
	}
	f := protocol.Frame{JoinRef: joinRef, Ref: m.link.NextRef(), Topic: m.cfg.Topic, Event: protocol.EventLeave, Payload: emptyObject}
	if err := m.send(f); err != nil {
		m.logger().Debug("phx: leave not sent", "err", err)
	}
}

// decodeAny decodes JSON into a plain value (nil when it does not decode).
func decodeAny(b []byte) any {
	var v any
	if len(b) == 0 || json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

// refAfter reports whether ref was handed out after base on the same socket
// (refs are increasing decimal numbers: SPEC K3).
func refAfter(ref, base string) bool {
	r, err1 := strconv.ParseUint(ref, 10, 64)
	b, err2 := strconv.ParseUint(base, 10, 64)
	return err1 == nil && err2 == nil && r > b
}

func wrapLost(err error) error {
	if err == nil || errors.Is(err, messages.ErrChannelLost) {
		if err == nil {
			return messages.ErrChannelLost
		}
		return err
	}
	return fmt.Errorf("%w: %w", messages.ErrChannelLost, err)
}
