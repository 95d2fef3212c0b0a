package actors

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// fakeLink stands in for a socket in the machine's unit tests: it records
// what the session does to its socket. (Integration tests use real sockets.)
type fakeLink struct {
	unknownRefs int
	id          string
	live        uint64 // generation of the live connection, 0 when none
	refs        protocol.Refs
	sent        []protocol.Frame
	joinRef     string
	attached    bool
	sendErr     error
	maxJoins    int // 0 = unlimited
	joining     int // permits held
	waiting     int // AcquireJoin answered false
}

func (l *fakeLink) ID() string { return l.id }

// DroppedUnknownRef counts unmatched replies.
func (l *fakeLink) DroppedUnknownRef() { l.unknownRefs++ }
func (l *fakeLink) Attach(topic string, _ *actor.PID) uint64 {
	l.attached = true
	return l.live
}
func (l *fakeLink) Detach(string, *actor.PID)      { l.attached = false }
func (l *fakeLink) SetJoinRef(_, joinRef string)   { l.joinRef = joinRef }
func (l *fakeLink) NextRef() string                { return l.refs.Next() }
func (l *fakeLink) ReleaseJoin(uint64, *actor.PID) { l.joining-- }
func (l *fakeLink) AcquireJoin(gen uint64, _ *actor.PID) bool {
	if gen != l.live || gen == 0 {
		return false
	}
	if l.maxJoins > 0 && l.joining >= l.maxJoins {
		l.waiting++
		return false
	}
	l.joining++
	return true
}
func (l *fakeLink) Send(gen uint64, f *protocol.Frame, _ *actor.PID) error {
	if gen != l.live || gen == 0 {
		return messages.ErrNotConnected
	}
	if l.sendErr != nil {
		return l.sendErr
	}
	l.sent = append(l.sent, *f)
	return nil
}

// last returns the last frame sent.
func (l *fakeLink) last(t *testing.T) protocol.Frame {
	t.Helper()
	if len(l.sent) == 0 {
		t.Fatal("no frame sent")
	}
	return l.sent[len(l.sent)-1]
}

// events lists the events of the frames sent, in order.
func (l *fakeLink) events() []string {
	out := make([]string, len(l.sent))
	for i, f := range l.sent {
		out[i] = f.Event
	}
	return out
}

type fakeTimer struct {
	d         time.Duration
	msg       any
	cancelled bool
}

// fakePort records placements, timers and published states.
type fakePort struct {
	links     []*fakeLink // handed out by place, in order
	placed    int
	avoided   []Link
	released  []Link
	placeErr  error
	timers    []*fakeTimer
	published []*Snapshot
}

func (p *fakePort) place(avoid Link) (Link, error) {
	if p.placeErr != nil {
		return nil, p.placeErr
	}
	if avoid != nil {
		p.avoided = append(p.avoided, avoid)
	}
	if p.placed >= len(p.links) {
		return nil, fmt.Errorf("fakePort: no link left")
	}
	l := p.links[p.placed]
	p.placed++
	return l, nil
}
func (p *fakePort) unplace(l Link) { p.released = append(p.released, l) }
func (p *fakePort) after(d time.Duration, msg any) func() {
	t := &fakeTimer{d: d, msg: msg}
	p.timers = append(p.timers, t)
	return func() { t.cancelled = true }
}
func (p *fakePort) publish(s *Snapshot) { p.published = append(p.published, s) }

// harness drives one machine with a fake socket.
type harness struct {
	t    *testing.T
	m    *sessionMachine
	port *fakePort
	link *fakeLink
	st   sessionCounters
}

// chatValue is the seed's ChatValue; the closures below are what the typed
// facade builds.
type chatValue struct {
	Messages []chatMsg `json:"messages"`
}
type chatMsg struct {
	ID   string `json:"id"`
	Body string `json:"body"`
}

func chatConfig() SessionConfig {
	return SessionConfig{
		Topic:   "chat:lobby",
		Initial: &chatValue{Messages: []chatMsg{}},
		JoinOk: func(v any, resp []byte) (any, error) {
			var r chatValue
			if err := json.Unmarshal(resp, &r); err != nil {
				return nil, err
			}
			return &chatValue{Messages: r.Messages}, nil
		},
		Events: map[string]EventFunc{
			"new_msg": func(v any, p []byte, _ bool) (any, error) {
				var m chatMsg
				if err := json.Unmarshal(p, &m); err != nil {
					return nil, err
				}
				cur := v.(*chatValue)
				msgs := append(append([]chatMsg(nil), cur.Messages...), m)
				return &chatValue{Messages: msgs}, nil
			},
			"boom": func(any, []byte, bool) (any, error) { panic("reducer bug") },
		},
	}
}

func newHarness(t *testing.T, cfg SessionConfig) *harness {
	t.Helper()
	h := &harness{t: t, link: &fakeLink{id: "sock#1", live: 1}}
	h.port = &fakePort{links: []*fakeLink{h.link}}
	h.m = newSessionMachine(cfg, h.port, &h.st)
	return h
}

func (h *harness) do(msg any) any { return h.m.Handle(msg) }

// state is the machine's latest state.
func (h *harness) state() *Snapshot { return h.m.snap }

// timer returns the newest live timer whose message has the type of like.
func (h *harness) timer(like any) *fakeTimer {
	h.t.Helper()
	want := fmt.Sprintf("%T", like)
	for i := len(h.port.timers) - 1; i >= 0; i-- {
		tm := h.port.timers[i]
		if !tm.cancelled && fmt.Sprintf("%T", tm.msg) == want {
			return tm
		}
	}
	h.t.Fatalf("no live %s timer", want)
	return nil
}

// hasTimer reports whether a live timer of that type is armed.
func (h *harness) hasTimer(like any) bool {
	want := fmt.Sprintf("%T", like)
	for _, tm := range h.port.timers {
		if !tm.cancelled && fmt.Sprintf("%T", tm.msg) == want {
			return true
		}
	}
	return false
}

// fire delivers the newest live timer of that type.
func (h *harness) fire(like any) {
	h.t.Helper()
	tm := h.timer(like)
	tm.cancelled = true
	h.do(tm.msg)
}

// in delivers an inbound frame on the live connection.
func (h *harness) in(f protocol.Frame) { h.do(&messages.FrameIn{Gen: h.link.live, Frame: f}) }

// reply answers ref with status and response JSON, carrying joinRef.
func (h *harness) reply(joinRef, ref, status, response string) {
	h.in(protocol.Frame{JoinRef: joinRef, Ref: ref, Topic: h.m.cfg.Topic, Event: protocol.EventReply,
		Payload: protocol.AppendReplyPayload(nil, status, []byte(response))})
}

// mountJoined mounts and answers the join ok with response.
func (h *harness) mountJoined(response string) (joinRef string) {
	h.t.Helper()
	h.do(&messages.Mount{})
	j := h.link.last(h.t)
	if j.Event != protocol.EventJoin {
		h.t.Fatalf("sent %s, want phx_join", j.Event)
	}
	h.reply(j.JoinRef, j.Ref, "ok", response)
	if h.state().Status != messages.Ready {
		h.t.Fatalf("status %s after join ok", h.state().Status)
	}
	return j.JoinRef
}

// call sends a call request for def and returns it.
func (h *harness) call(def *ActionDef, payload string) *CallRequest {
	req := &CallRequest{Action: def, Payload: []byte(payload), Reply: make(chan CallResult, 1)}
	h.do(req)
	return req
}

// result returns the answer of req, failing when there is none yet.
func (h *harness) result(req *CallRequest) CallResult {
	h.t.Helper()
	select {
	case r := <-req.Reply:
		return r
	default:
		h.t.Fatal("call not answered")
		return CallResult{}
	}
}

// pending reports whether req has no answer yet.
func pending(req *CallRequest) bool { return len(req.Reply) == 0 }

func sendDef() *ActionDef {
	return &ActionDef{Name: "send", Event: "new_msg", DecodeError: func(b []byte) (any, error) {
		var e struct {
			Reason string `json:"reason"`
		}
		err := json.Unmarshal(b, &e)
		return &e, err
	}}
}

// bucket reads one action's bucket from s.
func bucket(s *Snapshot, action string) (processing bool, errValue any, timeout bool) {
	return s.Processing[action], s.Errors[action], s.Timeouts[action]
}
