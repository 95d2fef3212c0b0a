package actors

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spec: S2 — the initial value is there at creation, status loading.
func TestSessionInitialValueLoading(t *testing.T) {
	h := newHarness(t, chatConfig())
	s := h.state()
	assert.Equal(t, messages.Loading, s.Status)
	assert.Nil(t, s.Error)
	assert.Equal(t, &chatValue{Messages: []chatMsg{}}, s.Value)
	assert.Empty(t, h.link.sent, "nothing is sent before a subscriber mounts")
}

// spec: S3 — a declared action has its bucket at once: false, nil, false.
func TestSessionDeclaredBucket(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.do(&DeclareAction{Def: sendDef()})
	s := h.state()
	require.Contains(t, s.Processing, "send")
	require.Contains(t, s.Errors, "send")
	require.Contains(t, s.Timeouts, "send")
	p, e, to := bucket(s, "send")
	assert.False(t, p)
	assert.Nil(t, e)
	assert.False(t, to)
	assert.Len(t, h.port.published, 1, "the new bucket is published")
}

// spec: M1 — the first mount places the session and joins the topic.
// spec: J1 — ok: ready, error nil, value through Connect.Ok.
func TestSessionMountJoinsAndJoinOk(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.do(&messages.Mount{})
	require.True(t, h.link.attached)
	j := h.link.last(t)
	assert.Equal(t, protocol.EventJoin, j.Event)
	assert.Equal(t, j.Ref, j.JoinRef, "join_ref is the join's ref (K3)")
	assert.Equal(t, j.JoinRef, h.link.joinRef, "the socket routes by the new join_ref")
	assert.JSONEq(t, `{}`, string(j.Payload))
	assert.Equal(t, time.Duration(DefaultJoinTimeout), h.timer(joinTimedOut{}).d)

	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[{"id":"1","body":"Hello"}]}`)
	s := h.state()
	assert.Equal(t, messages.Ready, s.Status)
	assert.Nil(t, s.Error)
	assert.Equal(t, &chatValue{Messages: []chatMsg{{ID: "1", Body: "Hello"}}}, s.Value)
	assert.False(t, h.hasTimer(joinTimedOut{}), "the join timer is stopped")
	assert.Equal(t, 0, h.link.joining, "the join slot is given back")
}

// spec: J1 — without Connect.Ok the value stays as it was.
func TestSessionJoinOkKeepsValue(t *testing.T) {
	cfg := chatConfig()
	cfg.JoinOk = nil
	h := newHarness(t, cfg)
	h.mountJoined(`{"messages":[{"id":"9"}]}`)
	assert.Equal(t, &chatValue{Messages: []chatMsg{}}, h.state().Value)
}

// spec: M3 — more subscribers do not join again; the last unmount sends
// phx_leave with the join_ref, detaches, and the last state stays.
func TestSessionLastUnmountLeaves(t *testing.T) {
	h := newHarness(t, chatConfig())
	jr := h.mountJoined(`{"messages":[]}`)
	h.do(&messages.Mount{})
	h.do(&messages.Mount{})
	assert.Equal(t, []string{"phx_join"}, h.link.events(), "one join for three subscribers")
	h.do(&messages.Unmount{})
	h.do(&messages.Unmount{})
	assert.Equal(t, []string{"phx_join"}, h.link.events())
	before := h.state()
	h.do(&messages.Unmount{})
	l := h.link.last(t)
	assert.Equal(t, protocol.EventLeave, l.Event)
	assert.Equal(t, jr, l.JoinRef)
	assert.False(t, h.link.attached, "handlers off: the route is removed")
	assert.Equal(t, []Link{h.link}, h.port.released, "the socket slot is given back")
	assert.Same(t, before, h.state(), "the last state stays readable")
	assert.Equal(t, messages.Ready, h.state().Status)
}

// spec: M4 — unmounted, a call or cast fails with ErrNotMounted; a later
// mount joins again.
func TestSessionNotMounted(t *testing.T) {
	h := newHarness(t, chatConfig())
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	req := h.call(def, `{"body":"x"}`)
	r := h.result(req)
	assert.ErrorIs(t, r.Err, messages.ErrNotMounted)
	p, _, _ := bucket(h.state(), "send")
	assert.False(t, p, "a refused call does not touch the bucket")

	cast := &CallRequest{Event: "typing", Payload: []byte(`{}`), Reply: make(chan CallResult, 1)}
	h.do(cast)
	assert.ErrorIs(t, h.result(cast).Err, messages.ErrNotMounted)

	h.mountJoined(`{"messages":[]}`)
	h.do(&messages.Unmount{})
	req = h.call(def, `{"body":"x"}`)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrNotMounted)

	h.port.links = append(h.port.links, h.link) // placed again on the same socket
	h.do(&messages.Mount{})
	assert.Equal(t, protocol.EventJoin, h.link.last(t).Event, "a new mount joins again")
	assert.Equal(t, messages.Loading, h.state().Status)
}

// spec: J2 — error: failed, connect_error with Connect.Error's cause.
// spec: J4 — then rejoins on the rejoin backoff, and a success makes it ready.
func TestSessionJoinErrorRetries(t *testing.T) {
	cfg := chatConfig()
	cfg.JoinError = func(b []byte) (any, error) {
		var r struct{ Reason string }
		err := json.Unmarshal(b, &r)
		return r.Reason, err
	}
	h := newHarness(t, cfg)
	h.do(&messages.Mount{})
	wantDelays := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, want := range wantDelays {
		j := h.link.last(t)
		require.Equal(t, protocol.EventJoin, j.Event)
		h.reply(j.JoinRef, j.Ref, "error", `{"reason":"unauthorized"}`)
		s := h.state()
		assert.Equal(t, messages.Failed, s.Status)
		assert.Equal(t, &messages.StateError{Kind: messages.KindConnectError, Cause: "unauthorized"}, s.Error)
		assert.Equal(t, want, h.timer(rejoinDue{}).d, "retry %d", i+1)
		h.fire(rejoinDue{})
	}
	j := h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, messages.Ready, h.state().Status)
	assert.Nil(t, h.state().Error)
}

// spec: J2 — without Connect.Error the cause is the reply itself.
func TestSessionJoinErrorRawCause(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.do(&messages.Mount{})
	j := h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "error", `{"reason":"unauthorized"}`)
	assert.Equal(t, map[string]any{"reason": "unauthorized"}, h.state().Error.Cause)
}

// spec: J4 — "unmatched topic" is permanent; MaxJoinTries gives up.
func TestSessionJoinPermanentFailures(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.do(&messages.Mount{})
	j := h.link.last(t)
	// The server answers an unknown topic with a null join_ref.
	h.reply("", j.Ref, "error", `{"reason":"unmatched topic"}`)
	assert.Equal(t, messages.Failed, h.state().Status)
	assert.Equal(t, messages.KindConnectError, h.state().Error.Kind)
	assert.False(t, h.hasTimer(rejoinDue{}), "no retry")
	assert.False(t, h.link.attached, "the socket slot is given back")

	cfg := chatConfig()
	cfg.MaxJoinTries = 2
	h = newHarness(t, cfg)
	h.do(&messages.Mount{})
	j = h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "error", `{"reason":"nope"}`)
	h.fire(rejoinDue{})
	j = h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "error", `{"reason":"nope"}`)
	assert.False(t, h.hasTimer(rejoinDue{}), "gave up after 2 tries")
	assert.Equal(t, messages.Failed, h.state().Status)
	assert.Equal(t, 2, len(h.link.sent))
}

// spec: J3 — no reply in time: failed, connect_timeout; as the official
// client, a phx_leave for that join goes out, and the join is retried (J4).
// A late reply of the timed-out join changes nothing.
func TestSessionJoinTimeout(t *testing.T) {
	cfg := chatConfig()
	cfg.JoinTimeout = 3 * time.Second
	h := newHarness(t, cfg)
	h.do(&messages.Mount{})
	j := h.link.last(t)
	assert.Equal(t, 3*time.Second, h.timer(joinTimedOut{}).d)
	h.fire(joinTimedOut{})
	s := h.state()
	assert.Equal(t, messages.Failed, s.Status)
	assert.Equal(t, &messages.StateError{Kind: messages.KindConnectTimeout}, s.Error)
	l := h.link.last(t)
	assert.Equal(t, protocol.EventLeave, l.Event)
	assert.Equal(t, j.JoinRef, l.JoinRef)
	assert.Equal(t, time.Second, h.timer(rejoinDue{}).d)
	assert.Equal(t, 0, h.link.joining, "the join slot is given back")

	// The slow join's late ok reply and the phx_close of its leave.
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[{"id":"late"}]}`)
	h.in(protocol.Frame{JoinRef: j.JoinRef, Ref: j.JoinRef, Topic: "chat:lobby", Event: protocol.EventClose, Payload: []byte(`{}`)})
	assert.Same(t, s, h.state(), "a stale join's reply and phx_close touch nothing")

	h.fire(rejoinDue{})
	j2 := h.link.last(t)
	require.Equal(t, protocol.EventJoin, j2.Event)
	assert.NotEqual(t, j.JoinRef, j2.JoinRef)
	h.reply(j2.JoinRef, j2.Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, messages.Ready, h.state().Status)
}

// spec: J5 — join params are a function of the current value, evaluated at
// every (re)join.
func TestSessionJoinParamsEveryJoin(t *testing.T) {
	cfg := chatConfig()
	calls := 0
	cfg.JoinParams = func(v any) ([]byte, error) {
		calls++
		msgs := v.(*chatValue).Messages
		last := ""
		if len(msgs) > 0 {
			last = msgs[len(msgs)-1].ID
		}
		return json.Marshal(map[string]string{"last_id": last})
	}
	h := newHarness(t, cfg)
	h.do(&messages.Mount{})
	j := h.link.last(t)
	assert.JSONEq(t, `{"last_id":""}`, string(j.Payload))
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[{"id":"37"}]}`)
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"38"}`)})

	h.do(&messages.SocketDown{Gen: 1, Reason: errors.New("gone")})
	h.link.live = 2
	h.do(&messages.SocketUp{Gen: 2})
	j = h.link.last(t)
	require.Equal(t, protocol.EventJoin, j.Event)
	assert.JSONEq(t, `{"last_id":"38"}`, string(j.Payload))
	assert.Equal(t, 2, calls)
}

// Duplicate-join safety (SPEC K5, K6): after a rejoin, the phx_close and
// phx_error of the older join_ref are ignored.
func TestSessionStaleJoinFramesIgnored(t *testing.T) {
	h := newHarness(t, chatConfig())
	old := h.mountJoined(`{"messages":[]}`)
	h.in(protocol.Frame{JoinRef: old, Ref: old, Topic: "chat:lobby", Event: protocol.EventError, Payload: []byte(`{}`)})
	h.fire(rejoinDue{})
	j := h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[]}`)
	ready := h.state()
	require.Equal(t, messages.Ready, ready.Status)
	h.in(protocol.Frame{JoinRef: old, Ref: old, Topic: "chat:lobby", Event: protocol.EventClose, Payload: []byte(`{}`)})
	h.in(protocol.Frame{JoinRef: old, Ref: old, Topic: "chat:lobby", Event: protocol.EventError, Payload: []byte(`{}`)})
	h.in(protocol.Frame{JoinRef: old, Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"x"}`)})
	assert.Same(t, ready, h.state())
	assert.Equal(t, []string{"phx_join", "phx_join"}, h.link.events())
}

// spec: L5 — a join waits for a paced slot when the socket has too many
// joins in flight, and goes when JoinPermit arrives.
func TestSessionJoinPaced(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.link.maxJoins = 1
	h.link.joining = 1 // another session holds the only slot
	h.do(&messages.Mount{})
	assert.Empty(t, h.link.sent, "no join without a slot")
	assert.Equal(t, 1, h.link.waiting)
	// The other join settles; the socket hands its slot to this session.
	h.do(&messages.JoinPermit{Gen: 1})
	assert.Equal(t, []string{"phx_join"}, h.link.events())
	j := h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "ok", `{}`)
	assert.Equal(t, 0, h.link.joining, "its slot is released on the reply")

	// A permit that is no longer wanted is given back.
	h.link.joining = 1
	h.do(&messages.JoinPermit{Gen: 1})
	assert.Equal(t, 0, h.link.joining)
}

// K6a: "too many channels joined" moves the session to another socket.
func TestSessionMovesWhenSocketFull(t *testing.T) {
	h := newHarness(t, chatConfig())
	other := &fakeLink{id: "sock#2", live: 7}
	h.port.links = append(h.port.links, other)
	h.do(&messages.Mount{})
	j := h.link.last(t)
	h.reply(j.JoinRef, j.Ref, "error", `{"reason":"too many channels joined"}`)
	assert.Equal(t, []Link{h.link}, h.port.avoided)
	assert.False(t, h.link.attached)
	assert.True(t, other.attached)
	require.Len(t, other.sent, 1)
	assert.Equal(t, protocol.EventJoin, other.sent[0].Event)
	assert.Equal(t, messages.Loading, h.state().Status, "a move is not a failure")
	h.link = other
	h.reply(other.sent[0].JoinRef, other.sent[0].Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, messages.Ready, h.state().Status)
}

// A session placed on a socket that is not connected yet joins on SocketUp.
func TestSessionJoinsOnSocketUp(t *testing.T) {
	h := newHarness(t, chatConfig())
	h.link.live = 0
	h.do(&messages.Mount{})
	assert.Empty(t, h.link.sent)
	h.do(&messages.SocketDown{Gen: 0, Reason: &messages.ConnectionError{Op: "dial"}})
	assert.Equal(t, messages.Loading, h.state().Status)
	assert.Equal(t, messages.KindTransport, h.state().Error.Kind, "a failed dial shows as a transport error")
	h.link.live = 1
	h.do(&messages.SocketUp{Gen: 1})
	assert.Equal(t, []string{"phx_join"}, h.link.events())
}

// Linger: the last unmount leaves only after the linger; a mount within it
// keeps the channel.
func TestSessionLinger(t *testing.T) {
	cfg := chatConfig()
	cfg.Linger = 5 * time.Second
	h := newHarness(t, cfg)
	h.mountJoined(`{"messages":[]}`)
	h.do(&messages.Unmount{})
	assert.Equal(t, 5*time.Second, h.timer(lingerDone{}).d)
	h.do(&messages.Mount{})
	assert.False(t, h.hasTimer(lingerDone{}))
	h.do(&messages.Unmount{})
	assert.Equal(t, []string{"phx_join"}, h.link.events())
	h.fire(lingerDone{})
	assert.Equal(t, []string{"phx_join", "phx_leave"}, h.link.events())
	assert.False(t, h.link.attached)
}

// Shutdown: Leave sends phx_leave, fails pending calls with ErrClosed and
// refuses everything after.
func TestSessionShutdownLeave(t *testing.T) {
	h := newHarness(t, chatConfig())
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	h.mountJoined(`{"messages":[]}`)
	req := h.call(def, `{}`)
	resp := h.do(&messages.Leave{})
	assert.IsType(t, &messages.LeaveDone{}, resp)
	assert.Equal(t, protocol.EventLeave, h.link.last(t).Event)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrClosed)
	req = h.call(def, `{}`)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrClosed)
	h.do(&messages.Mount{})
	assert.Equal(t, []string{"phx_join", "new_msg", "phx_leave"}, h.link.events())
}
