package actors

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reason struct {
	Reason string `json:"reason"`
}

func joinedHarness(t *testing.T) (*harness, *ActionDef, string) {
	h := newHarness(t, chatConfig())
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	jr := h.mountJoined(`{"messages":[]}`)
	return h, def, jr
}

// spec: A1 — starting a call: processing true, error and timeout cleared,
// then the push goes out with the action's event and the join_ref.
// spec: A2 — ok: processing false, error and timeout clear, the caller gets the reply.
func TestSessionCallOk(t *testing.T) {
	h, def, jr := joinedHarness(t)
	req := h.call(def, `{"body":"Hello"}`)
	p, e, to := bucket(h.state(), "send")
	assert.True(t, p)
	assert.Nil(t, e)
	assert.False(t, to)
	f := h.link.last(t)
	assert.Equal(t, "new_msg", f.Event, "the Phoenix event differs from the action name (A6)")
	assert.Equal(t, jr, f.JoinRef)
	assert.JSONEq(t, `{"body":"Hello"}`, string(f.Payload))
	assert.True(t, pending(req))

	h.reply(jr, f.Ref, "ok", `{"id":"7"}`)
	r := h.result(req)
	assert.Equal(t, CallOK, r.Outcome)
	assert.JSONEq(t, `{"id":"7"}`, string(r.Response))
	p, e, to = bucket(h.state(), "send")
	assert.False(t, p)
	assert.Nil(t, e)
	assert.False(t, to)
}

// spec: A3 — error: processing false, Errors[a] the decoded reply, the
// caller gets it; a null reply stores nil.
func TestSessionCallError(t *testing.T) {
	h, def, jr := joinedHarness(t)
	req := h.call(def, `{"body":" "}`)
	h.reply(jr, h.link.last(t).Ref, "error", `{"reason":"empty_message"}`)
	r := h.result(req)
	assert.Equal(t, CallError, r.Outcome)
	assert.Equal(t, &reason{Reason: "empty_message"}, castReason(r.ErrorValue))
	p, e, to := bucket(h.state(), "send")
	assert.False(t, p)
	assert.Equal(t, &reason{Reason: "empty_message"}, castReason(e))
	assert.False(t, to)

	// A1 again: a new run clears the error.
	req = h.call(def, `{}`)
	_, e, _ = bucket(h.state(), "send")
	assert.Nil(t, e)
	h.reply(jr, h.link.last(t).Ref, "error", `null`)
	r = h.result(req)
	assert.Equal(t, CallError, r.Outcome)
	assert.Nil(t, r.ErrorValue)
	p, e, _ = bucket(h.state(), "send")
	assert.False(t, p)
	assert.Nil(t, e)
}

func castReason(v any) *reason {
	switch v := v.(type) {
	case *struct {
		Reason string `json:"reason"`
	}:
		return &reason{Reason: v.Reason}
	}
	return nil
}

// spec: A4 — no reply before the call timeout: processing false, error
// clear, Timeouts[a] true, the caller gets ErrTimeout; a late reply then
// changes nothing.
func TestSessionCallTimeout(t *testing.T) {
	h, def, jr := joinedHarness(t)
	req := h.call(def, `{}`)
	ref := h.link.last(t).Ref
	assert.Equal(t, DefaultCallTimeout, h.timer(callTimedOut{}).d)
	h.fire(callTimedOut{})
	assert.ErrorIs(t, h.result(req).Err, messages.ErrTimeout)
	p, e, to := bucket(h.state(), "send")
	assert.False(t, p)
	assert.Nil(t, e)
	assert.True(t, to)
	s := h.state()
	h.reply(jr, ref, "ok", `{}`)
	assert.Same(t, s, h.state())

	// A1: the next run clears the timeout flag.
	h.call(def, `{}`)
	_, _, to = bucket(h.state(), "send")
	assert.False(t, to)
}

// spec: A5 — only the latest run updates the bucket; an older run's late
// reply only answers its own caller.
func TestSessionLatestRunWins(t *testing.T) {
	h, def, jr := joinedHarness(t)
	first := h.call(def, `{"n":1}`)
	ref1 := h.link.last(t).Ref
	second := h.call(def, `{"n":2}`)
	ref2 := h.link.last(t).Ref

	h.reply(jr, ref1, "error", `{"reason":"old"}`)
	assert.Equal(t, CallError, h.result(first).Outcome, "the old run's caller gets its own result")
	p, e, _ := bucket(h.state(), "send")
	assert.True(t, p, "the latest run is still processing")
	assert.Nil(t, e, "the old run's error is not in the bucket")

	h.reply(jr, ref2, "ok", `{}`)
	assert.Equal(t, CallOK, h.result(second).Outcome)
	p, _, _ = bucket(h.state(), "send")
	assert.False(t, p)

	// An older run timing out after a newer one started does not flag it.
	third := h.call(def, `{"n":3}`)
	thirdTimer := h.timer(callTimedOut{})
	h.call(def, `{"n":4}`)
	thirdTimer.cancelled = true
	h.do(thirdTimer.msg)
	assert.ErrorIs(t, h.result(third).Err, messages.ErrTimeout)
	p, _, to := bucket(h.state(), "send")
	assert.True(t, p)
	assert.False(t, to)
}

// spec: A6 — actions are tracked independently.
func TestSessionActionsIndependent(t *testing.T) {
	h, send, jr := joinedHarness(t)
	edit := &ActionDef{Name: "edit", Event: "message_updated"}
	h.do(&DeclareAction{Def: edit})
	h.call(send, `{}`)
	sendRef := h.link.last(t).Ref
	h.call(edit, `{}`)
	editRef := h.link.last(t).Ref
	assert.Equal(t, "message_updated", h.link.last(t).Event)
	h.reply(jr, editRef, "error", `{"reason":"nope"}`)
	pSend, eSend, _ := bucket(h.state(), "send")
	pEdit, eEdit, _ := bucket(h.state(), "edit")
	assert.True(t, pSend)
	assert.Nil(t, eSend)
	assert.False(t, pEdit)
	assert.JSONEq(t, `{"reason":"nope"}`, string(eEdit.(json.RawMessage)), "no decoder: the raw reply is stored")
	h.reply(jr, sendRef, "ok", `{}`)
	pSend, _, _ = bucket(h.state(), "send")
	assert.False(t, pSend)
}

// spec: A7 — a cast pushes without waiting and never touches a bucket.
func TestSessionCast(t *testing.T) {
	h, _, jr := joinedHarness(t)
	before := h.state()
	cast := &CallRequest{Event: "typing", Payload: []byte(`{"active":true}`), Reply: make(chan CallResult, 1)}
	h.do(cast)
	assert.Equal(t, CallOK, h.result(cast).Outcome)
	f := h.link.last(t)
	assert.Equal(t, "typing", f.Event)
	assert.Equal(t, jr, f.JoinRef)
	assert.Same(t, before, h.state(), "no state change")
	h.reply(jr, f.Ref, "ok", `{}`)
	assert.Same(t, before, h.state())
}

// spec: A8 — calls before the join are buffered (bounded), sent after the
// join with the new join_ref, their timeout counting from the call; one that
// timed out while buffered is never sent.
func TestSessionBufferedBeforeJoin(t *testing.T) {
	cfg := chatConfig()
	cfg.PushBuffer = 2
	h := newHarness(t, cfg)
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	h.do(&messages.Mount{})
	join := h.link.last(t)

	expired := h.call(def, `{"n":1}`)
	expiredTimer := h.timer(callTimedOut{})
	kept := h.call(def, `{"n":2}`)
	full := h.call(def, `{"n":3}`)
	assert.ErrorIs(t, h.result(full).Err, messages.ErrBufferFull)
	assert.Equal(t, []string{"phx_join"}, h.link.events(), "nothing pushed before the join")
	p, _, _ := bucket(h.state(), "send")
	assert.True(t, p, "a buffered call is processing (A1)")

	expiredTimer.cancelled = true
	h.do(expiredTimer.msg)
	assert.ErrorIs(t, h.result(expired).Err, messages.ErrTimeout)

	h.reply(join.JoinRef, join.Ref, "ok", `{"messages":[]}`)
	require.Equal(t, []string{"phx_join", "new_msg"}, h.link.events(), "the expired call is never sent")
	f := h.link.last(t)
	assert.JSONEq(t, `{"n":2}`, string(f.Payload))
	assert.Equal(t, join.JoinRef, f.JoinRef)
	h.reply(join.JoinRef, f.Ref, "ok", `{}`)
	assert.Equal(t, CallOK, h.result(kept).Outcome)
}

// spec: A8 — a push made while stale carries the join_ref of the rejoin,
// not of the lost channel.
func TestSessionPushCarriesCurrentJoinRef(t *testing.T) {
	h, def, old := joinedHarness(t)
	h.do(&messages.SocketDown{Gen: 1, Reason: errors.New("drop")})
	req := h.call(def, `{}`)
	h.link.live = 2
	h.do(&messages.SocketUp{Gen: 2})
	j := h.link.last(t)
	require.Equal(t, protocol.EventJoin, j.Event)
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[]}`)
	f := h.link.last(t)
	assert.Equal(t, "new_msg", f.Event)
	assert.Equal(t, j.JoinRef, f.JoinRef)
	assert.NotEqual(t, old, f.JoinRef)
	h.reply(j.JoinRef, f.Ref, "ok", `{}`)
	assert.Equal(t, CallOK, h.result(req).Outcome)
}

// spec: A9 — a caller that stops waiting drops its buffered call: it is
// never sent and processing ends.
func TestSessionCancelBufferedCall(t *testing.T) {
	h := newHarness(t, chatConfig())
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	h.do(&messages.Mount{})
	join := h.link.last(t)
	req := h.call(def, `{}`)
	h.do(&CancelCall{Req: req})
	p, _, to := bucket(h.state(), "send")
	assert.False(t, p)
	assert.False(t, to)
	h.reply(join.JoinRef, join.Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, []string{"phx_join"}, h.link.events())
}

// spec: L3 — calls in flight when the connection drops end at once with a
// transport error (never hang); the bucket stops processing.
func TestSessionCallsEndOnDrop(t *testing.T) {
	h, def, _ := joinedHarness(t)
	req := h.call(def, `{}`)
	cerr := &messages.ConnectionError{Op: "read", CloseCode: 1006}
	h.do(&messages.SocketDown{Gen: 1, Reason: cerr})
	r := h.result(req)
	assert.ErrorIs(t, r.Err, messages.ErrChannelLost)
	var ce *messages.ConnectionError
	assert.ErrorAs(t, r.Err, &ce)
	p, e, to := bucket(h.state(), "send")
	assert.False(t, p)
	assert.Nil(t, e)
	assert.False(t, to)
	assert.False(t, h.hasTimer(callTimedOut{}), "its timer is stopped")
}

// spec: E1 — an event's handler gets the value and payload, returns the next value.
// spec: E2 — events do not touch buckets; events without handler are ignored
// (the Unhandled hook sees them).
func TestSessionEvents(t *testing.T) {
	cfg := chatConfig()
	var seen []string
	cfg.Unhandled = func(event string, _ []byte) { seen = append(seen, event) }
	h := newHarness(t, cfg)
	def := sendDef()
	h.do(&DeclareAction{Def: def})
	h.mountJoined(`{"messages":[{"id":"1","body":"a"}]}`)
	h.call(def, `{}`)
	before := h.state()
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"2","body":"Hi"}`)})
	s := h.state()
	assert.Equal(t, &chatValue{Messages: []chatMsg{{ID: "1", Body: "a"}, {ID: "2", Body: "Hi"}}}, s.Value)
	assert.Equal(t, messages.Ready, s.Status)
	// E2 and S4: the bucket maps are shared, not copied, by an event.
	assert.Equal(t, mapID(before.Processing), mapID(s.Processing))
	assert.Equal(t, mapID(before.Errors), mapID(s.Errors))
	assert.Equal(t, mapID(before.Timeouts), mapID(s.Timeouts))
	assert.True(t, s.Processing["send"])

	h.in(protocol.Frame{Topic: "chat:lobby", Event: "presence_diff", Payload: []byte(`{}`)})
	assert.Same(t, s, h.state(), "an unhandled event changes nothing")
	assert.Equal(t, []string{"presence_diff"}, seen)
	assert.Equal(t, uint64(1), h.st.eventsApplied.Load())
}

// spec: E3 — a panicking handler or an undecodable payload drops the event,
// counts it, and the session keeps working.
func TestSessionBadEventsDropped(t *testing.T) {
	h, _, _ := joinedHarness(t)
	s := h.state()
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "boom", Payload: []byte(`{}`)})
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`"not an object"`)})
	assert.Same(t, s, h.state())
	assert.Equal(t, uint64(2), h.st.eventsDropped.Load())
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"3"}`)})
	assert.Len(t, h.state().Value.(*chatValue).Messages, 1)
}

// spec: S4 — a published snapshot never changes: later calls, replies and
// events build new snapshots and copy a bucket map only when it changes.
func TestSessionSnapshotsImmutable(t *testing.T) {
	h, def, jr := joinedHarness(t)
	s0 := h.state()
	h.call(def, `{}`)
	s1 := h.state()
	h.reply(jr, h.link.last(t).Ref, "error", `{"reason":"x"}`)
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"1"}`)})
	assert.False(t, s0.Processing["send"])
	assert.Nil(t, s0.Errors["send"])
	assert.True(t, s1.Processing["send"])
	assert.Nil(t, s1.Errors["send"])
	assert.Empty(t, s1.Value.(*chatValue).Messages)
	assert.NotEqual(t, mapID(s0.Processing), mapID(s1.Processing))
	assert.Equal(t, mapID(s0.Timeouts), mapID(s1.Timeouts), "an unchanged map is shared")
}

// spec: L1 — a drop while ready: stale, value kept, error transport; after
// SocketUp it rejoins and is ready again through Connect.Ok.
func TestSessionStaleOnDrop(t *testing.T) {
	h, _, _ := joinedHarness(t)
	h.in(protocol.Frame{Topic: "chat:lobby", Event: "new_msg", Payload: []byte(`{"id":"1"}`)})
	cerr := &messages.ConnectionError{Op: "read", CloseCode: 1006}
	h.do(&messages.SocketDown{Gen: 1, Reason: cerr})
	s := h.state()
	assert.Equal(t, messages.Stale, s.Status)
	assert.Equal(t, &messages.StateError{Kind: messages.KindTransport, Cause: cerr}, s.Error)
	assert.Equal(t, &chatValue{Messages: []chatMsg{{ID: "1"}}}, s.Value)

	h.link.live = 2
	h.do(&messages.SocketUp{Gen: 2})
	j := h.link.last(t)
	require.Equal(t, protocol.EventJoin, j.Event)
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[{"id":"1"},{"id":"2"}]}`)
	s = h.state()
	assert.Equal(t, messages.Ready, s.Status)
	assert.Nil(t, s.Error)
	assert.Len(t, s.Value.(*chatValue).Messages, 2, "the rejoin reply passed through Connect.Ok")
}

// spec: L1 — phx_error while ready: stale with channel_error, calls in
// flight end, rejoin on the backoff.
func TestSessionStaleOnPhxError(t *testing.T) {
	h, def, jr := joinedHarness(t)
	req := h.call(def, `{}`)
	h.in(protocol.Frame{JoinRef: jr, Ref: jr, Topic: "chat:lobby", Event: protocol.EventError, Payload: []byte(`{"reason":"channel_crash"}`)})
	s := h.state()
	assert.Equal(t, messages.Stale, s.Status)
	assert.Equal(t, &messages.StateError{Kind: messages.KindChannelError, Cause: map[string]any{"reason": "channel_crash"}}, s.Error)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrChannelLost)
	assert.Equal(t, time.Second, h.timer(rejoinDue{}).d)
	h.fire(rejoinDue{})
	j := h.link.last(t)
	require.Equal(t, protocol.EventJoin, j.Event)
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, messages.Ready, h.state().Status)
}

// spec: L2 — phx_close from the server: failed, kind closed, no rejoin.
func TestSessionServerClose(t *testing.T) {
	h, def, jr := joinedHarness(t)
	req := h.call(def, `{}`)
	h.in(protocol.Frame{JoinRef: jr, Ref: jr, Topic: "chat:lobby", Event: protocol.EventClose, Payload: []byte(`{}`)})
	s := h.state()
	assert.Equal(t, messages.Failed, s.Status)
	assert.Equal(t, &messages.StateError{Kind: messages.KindClosed}, s.Error)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrChannelClosed)
	assert.False(t, h.hasTimer(rejoinDue{}))
	assert.False(t, h.link.attached)
	h.link.live = 2
	h.do(&messages.SocketUp{Gen: 2})
	assert.Equal(t, []string{"phx_join", "new_msg"}, h.link.events(), "no rejoin, even on reconnect")
	req = h.call(def, `{}`)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrChannelClosed)
}

// spec: L4 — a push answered "unmatched topic": the server lost the channel;
// the session goes stale and rejoins.
func TestSessionUnmatchedTopicOnPush(t *testing.T) {
	h, def, _ := joinedHarness(t)
	req := h.call(def, `{}`)
	ref := h.link.last(t).Ref
	h.reply("", ref, "error", `{"reason":"unmatched topic"}`)
	assert.ErrorIs(t, h.result(req).Err, messages.ErrChannelLost)
	s := h.state()
	assert.Equal(t, messages.Stale, s.Status)
	assert.Equal(t, &messages.StateError{Kind: messages.KindChannelError, Cause: "unmatched topic"}, s.Error)
	j := h.link.last(t)
	require.Equal(t, protocol.EventJoin, j.Event, "rejoins at once")
	h.reply(j.JoinRef, j.Ref, "ok", `{"messages":[]}`)
	assert.Equal(t, messages.Ready, h.state().Status)

	// A cast's "unmatched topic" says the same.
	h.do(&CallRequest{Event: "typing", Payload: []byte(`{}`), Reply: make(chan CallResult, 1)})
	h.reply("", h.link.last(t).Ref, "error", `{"reason":"unmatched topic"}`)
	assert.Equal(t, messages.Stale, h.state().Status)
	assert.Equal(t, protocol.EventJoin, h.link.last(t).Event)
}

// A frame queued but never written fails its call.
func TestSessionPushFailed(t *testing.T) {
	h, def, _ := joinedHarness(t)
	req := h.call(def, `{}`)
	h.do(&messages.PushFailed{Ref: h.link.last(t).Ref, Err: messages.ErrNotConnected})
	r := h.result(req)
	assert.ErrorIs(t, r.Err, messages.ErrNotConnected)
	assert.False(t, h.state().Processing["send"])
}

// mapID identifies a map by its pointer, to tell shared maps from copies.
func mapID[V any](m map[string]V) uintptr { return reflect.ValueOf(m).Pointer() }
