package actors

import (
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// call starts a call or a cast (SPEC A1, A7, A8, M4).
func (m *sessionMachine) call(req *CallRequest) {
	if err := m.refuse(); err != nil {
		req.done = true
		m.answer(req, CallResult{Outcome: CallFailed, Err: err})
		return
	}
	canSend := m.phase == phaseJoined && m.gen != 0
	if !canSend && len(m.buffer) >= m.cfg.PushBuffer {
		req.done = true
		m.answer(req, CallResult{Outcome: CallFailed, Err: messages.ErrBufferFull})
		return
	}
	if req.Action == nil { // cast: no bucket, no reply awaited
		if canSend {
			err := m.push(req)
			req.done = true
			m.answer(req, failedIf(err))
			return
		}
		m.bufferPush(req)
		m.answer(req, CallResult{Outcome: CallOK})
		return
	}
	// A1: the bucket shows the run as processing, error and timeout cleared.
	if m.runs == nil {
		m.runs = make(map[string]uint64, 1)
	}
	m.runs[req.Action.Name]++
	req.run = m.runs[req.Action.Name]
	if !m.bucketIs(req.Action.Name, true, false) {
		m.draft().setBucket(req.Action.Name, true, nil, false)
	}
	// A4, A8: the timeout counts from the call, buffered or not.
	timeout := req.Action.Timeout
	if timeout <= 0 {
		timeout = m.cfg.CallTimeout
	}
	req.cancel = m.port.after(timeout, callTimedOut{req: req})
	if canSend {
		m.sendCall(req)
		return
	}
	m.bufferPush(req)
}

// refuse says why no push can start now, or nil.
func (m *sessionMachine) refuse() error {
	switch {
	case m.phase == phaseLeft:
		return messages.ErrClosed
	case m.mounts == 0:
		return messages.ErrNotMounted
	case m.phase == phaseClosed:
		return messages.ErrChannelClosed
	}
	return nil
}

func (m *sessionMachine) bufferPush(req *CallRequest) {
	req.buffered = true
	if req.Action == nil {
		req.cancel = m.port.after(m.cfg.CallTimeout, callTimedOut{req: req})
	}
	m.buffer = append(m.buffer, req)
}

// push sends req's frame with the current join_ref (SPEC A8).
func (m *sessionMachine) push(req *CallRequest) error {
	req.ref = m.link.NextRef()
	event := req.Event
	if req.Action != nil {
		event = req.Action.Event
	}
	return m.send(protocol.Frame{JoinRef: m.joinRef, Ref: req.ref, Topic: m.cfg.Topic, Event: event, Payload: req.Payload, Binary: req.Binary})
}

// send hands f to the link. The socket encodes it at once and keeps no
// pointer to it, so on a real socket the frame stays on the stack (an
// allocation a push less); other links get a heap copy.
func (m *sessionMachine) send(f protocol.Frame) error {
	if c, ok := m.link.(*socketCore); ok {
		return c.Send(m.gen, &f, m.self)
	}
	heap := f
	return m.link.Send(m.gen, &heap, m.self)
}

// sendCall pushes a call and tracks its reply by ref.
func (m *sessionMachine) sendCall(req *CallRequest) {
	if err := m.push(req); err != nil {
		m.endCall(req, CallResult{Outcome: CallFailed, Err: err}, false)
		return
	}
	if m.inflight == nil {
		m.inflight = make(map[string]*CallRequest, 1)
	}
	m.inflight[req.ref] = req
}

// flushBuffer sends what waited for the join, in order (SPEC A8). Pushes
// that timed out were removed when they did and are never sent.
func (m *sessionMachine) flushBuffer() {
	buf := m.buffer
	m.buffer = nil
	for i, req := range buf {
		buf[i] = nil
		req.buffered = false
		if req.Action == nil {
			stop(&req.cancel)
			req.done = true
			if err := m.push(req); err != nil {
				m.logger().Debug("phx: buffered cast not sent", "event", req.Event, "err", err)
			}
			continue
		}
		m.sendCall(req)
	}
}

// callTimedOut: no reply before the call timeout (SPEC A4); a buffered push
// is dropped and never sent (A8).
func (m *sessionMachine) callTimedOut(req *CallRequest) {
	if req.done {
		return
	}
	req.cancel = nil
	if req.buffered {
		m.unbuffer(req)
	} else {
		delete(m.inflight, req.ref)
	}
	if req.Action == nil {
		req.done = true
		return
	}
	m.endCall(req, CallResult{Outcome: CallFailed, Err: messages.ErrTimeout}, true)
}

// cancelCall: the caller stopped waiting (SPEC A9). A buffered push is
// dropped; one in flight keeps tracking its bucket until it settles.
func (m *sessionMachine) cancelCall(req *CallRequest) {
	if req.done || !req.buffered {
		return
	}
	m.unbuffer(req)
	if req.Action == nil {
		stop(&req.cancel)
		req.done = true
		return
	}
	m.endCall(req, CallResult{Outcome: CallFailed, Err: messages.ErrNotMounted}, false)
}

func (m *sessionMachine) unbuffer(req *CallRequest) {
	for i, r := range m.buffer {
		if r == req {
			copy(m.buffer[i:], m.buffer[i+1:])
			m.buffer[len(m.buffer)-1] = nil
			m.buffer = m.buffer[:len(m.buffer)-1]
			break
		}
	}
	req.buffered = false
}

// endCall settles a call: the caller gets res; the bucket changes only when
// this is the action's latest run (SPEC A2-A5).
func (m *sessionMachine) endCall(req *CallRequest, res CallResult, timedOut bool) {
	if req.done {
		return
	}
	req.done = true
	stop(&req.cancel)
	if req.Action != nil && req.run == m.runs[req.Action.Name] {
		// An unchanged bucket makes no new state (nothing to publish).
		name := req.Action.Name
		switch {
		case res.Outcome == CallOK:
			if !m.bucketIs(name, false, false) {
				m.draft().setBucket(name, false, nil, false)
			}
		case res.Outcome == CallError:
			m.draft().setBucket(name, false, res.ErrorValue, false)
		case timedOut:
			if !m.bucketIs(name, false, true) {
				m.draft().setBucket(name, false, nil, true)
			}
		default:
			if p, ok := m.current().Processing[name]; !ok || p {
				m.draft().setProcessing(name, false)
			}
		}
	}
	m.answer(req, res)
}

// current is the state being built: the draft, else the last published.
func (m *sessionMachine) current() *Snapshot {
	if m.d != nil {
		return &m.d.s
	}
	return m.snap
}

// bucketIs reports whether action's bucket already reads processing, no
// error and timeout.
func (m *sessionMachine) bucketIs(action string, processing, timeout bool) bool {
	cur := m.current()
	p, ok1 := cur.Processing[action]
	e, ok2 := cur.Errors[action]
	t, ok3 := cur.Timeouts[action]
	return ok1 && ok2 && ok3 && p == processing && e == nil && t == timeout
}

// failInflight ends every call waiting for a reply with err (SPEC L3).
func (m *sessionMachine) failInflight(err error) {
	for ref, req := range m.inflight {
		delete(m.inflight, ref)
		m.endCall(req, CallResult{Outcome: CallFailed, Err: err}, false)
	}
}

// failBuffer ends every buffered push with err.
func (m *sessionMachine) failBuffer(err error) {
	buf := m.buffer
	m.buffer = nil
	for _, req := range buf {
		req.buffered = false
		if req.Action == nil {
			stop(&req.cancel)
			req.done = true
			continue
		}
		m.endCall(req, CallResult{Outcome: CallFailed, Err: err}, false)
	}
}

func failedIf(err error) CallResult {
	if err != nil {
		return CallResult{Outcome: CallFailed, Err: err}
	}
	return CallResult{Outcome: CallOK}
}

// answer queues res for the requester; Handle delivers it after the new
// state is published, so a caller that reads State after its call returns
// sees the call's outcome.
func (m *sessionMachine) answer(req *CallRequest, res CallResult) {
	if req.Reply == nil {
		return
	}
	m.outbox = append(m.outbox, answered{req: req, res: res})
}

type answered struct {
	req *CallRequest
	res CallResult
}

// deliver hands the queued answers over without ever blocking the actor
// (each Reply has room for its one answer).
func (m *sessionMachine) deliver() {
	for i, a := range m.outbox {
		select {
		case a.req.Reply <- a.res:
		default:
		}
		m.outbox[i] = answered{}
	}
	m.outbox = m.outbox[:0]
}
