package tests

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seed's lifecycle sequence diagram, step by step, against an
// in-process Phoenix server: every emitted state is asserted exactly as the
// diagram's notes show it.

var (
	msg1 = ChatMessage{ID: "1", Body: "Hello", InsertedAt: "2026-12-04T19:55:43Z"}
	msg2 = ChatMessage{ID: "2", Body: "Hi", InsertedAt: "2026-12-04T19:55:44Z"}
)

// seedChannel is the seed's server: join replies the history, new_msg
// answers ok, {reason: "blocked"} for a blocked body, and nothing (a
// {:noreply} handler) for a slow one; chat:forbidden refuses the join.
func seedChannel() phxtest.Option {
	return phxtest.WithChannel("chat:*", func() phxtest.Channel {
		return phxtest.ChannelFuncs{
			JoinFunc: func(topic string, _ phxtest.Payload, _ *phxtest.ChannelSocket) (phxtest.Payload, error) {
				if topic == "chat:forbidden" {
					return phxtest.Payload{}, phxtest.Refuse(phxtest.JSON(map[string]string{"reason": "unauthorized"}))
				}
				return phxtest.JSON(ChatJoinOk{Messages: []ChatMessage{msg1}}), nil
			},
			HandleInFunc: func(event string, p phxtest.Payload, _ *phxtest.ChannelSocket) phxtest.Result {
				var in SendPayload
				_ = p.Decode(&in)
				switch in.Body {
				case "blocked":
					return phxtest.ReplyError(phxtest.JSON(SendError{Reason: "blocked"}))
				case "slow":
					return phxtest.NoReply()
				}
				return phxtest.Reply(phxtest.Payload{})
			},
		}
	})
}

// spec: S1, S2, S3, M1, M2, J1, E1, A1, A2, A3, A4, A5, M3 — the seed's
// whole lifecycle: create -> subscribe -> join ok -> event -> call ok,
// error, timeout -> unsubscribe.
func TestSeedLifecycleJoinOk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, []phxtest.Option{seedChannel()})
		ctx := context.Background()

		// App->>Store: session(socket, config).extend(...)
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:lobby"))
		require.NoError(t, err)
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		empty := &ChatValue{Messages: []ChatMessage{}}
		created := seedState(empty, supervisor.Loading, nil, false, nil, false)
		assert.Equal(t, created, chat.State())
		synctest.Wait()
		assert.Empty(t, e.clientFrames("chat:lobby"), "nothing is sent before subscribe")

		// App->>Store: subscribe(listener); channel.join(); JOIN OK
		var st states[ChatValue]
		unsubscribe := chat.Subscribe(st.add)
		joined := &ChatValue{Messages: []ChatMessage{msg1}}
		ready := seedState(joined, supervisor.Ready, nil, false, nil, false)
		assert.Equal(t, []supervisor.State[ChatValue]{created, ready}, st.next())
		assert.Equal(t, []string{"phx_join"}, e.clientEvents("chat:lobby"))

		// Chan-->>Store: new_msg {id: "2", body: "Hi", ...}
		require.NoError(t, e.srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(msg2)))
		two := &ChatValue{Messages: []ChatMessage{msg1, msg2}}
		afterEvent := seedState(two, supervisor.Ready, nil, false, nil, false)
		assert.Equal(t, []supervisor.State[ChatValue]{afterEvent}, st.next())

		processing := seedState(two, supervisor.Ready, nil, true, nil, false)

		// App->>Store: send(payload); CALL OK
		done := goCall(func() error {
			ok, err := send.Call(ctx, SendPayload{Body: "Hello"})
			assert.Equal(t, SendOk{}, ok)
			return err
		})
		assert.Equal(t, []supervisor.State[ChatValue]{processing, afterEvent}, st.next())
		require.NoError(t, <-done)
		push := e.clientFrames("chat:lobby")[1]
		assert.Equal(t, "new_msg", push.Event)
		assert.JSONEq(t, `{"body":"Hello"}`, string(push.Payload))
		assert.Equal(t, e.clientFrames("chat:lobby")[0].JoinRef, push.JoinRef, "the push carries the join_ref")

		// CALL ERROR
		done = goCall(func() error { _, err := send.Call(ctx, SendPayload{Body: "blocked"}); return err })
		blocked := seedState(two, supervisor.Ready, nil, false, &SendError{Reason: "blocked"}, false)
		assert.Equal(t, []supervisor.State[ChatValue]{processing, blocked}, st.next())
		err = <-done
		var re *supervisor.ReplyError[SendError]
		require.ErrorAs(t, err, &re)
		assert.Equal(t, &SendError{Reason: "blocked"}, re.Reply)
		assert.Equal(t, &SendError{Reason: "blocked"}, send.Error(chat.State()))

		// CALL TIMEOUT: the handler does not reply; the client's timer fires.
		done = goCall(func() error { _, err := send.Call(ctx, SendPayload{Body: "slow"}); return err })
		assert.Equal(t, []supervisor.State[ChatValue]{processing}, st.next())
		time.Sleep(supervisor.DefaultCallTimeout)
		timedOut := seedState(two, supervisor.Ready, nil, false, nil, true)
		assert.Equal(t, []supervisor.State[ChatValue]{timedOut}, st.next())
		assert.ErrorIs(t, <-done, supervisor.ErrTimeout)
		assert.True(t, send.TimedOut(chat.State()))

		// App->>Store: unsubscribe(); channel.leave()
		unsubscribe()
		synctest.Wait()
		frames := e.clientFrames("chat:lobby")
		leave := frames[len(frames)-1]
		assert.Equal(t, protocol.EventLeave, leave.Event)
		assert.Equal(t, frames[0].JoinRef, leave.JoinRef)
		assert.Empty(t, st.next(), "no state after unsubscribe")
		assert.Equal(t, timedOut, chat.State(), "the last state remains readable")
		_, err = send.Call(ctx, SendPayload{Body: "again"})
		assert.ErrorIs(t, err, supervisor.ErrNotMounted, "unmounted: actions fail (M4)")
	})
}

// spec: J2 — the diagram's JOIN ERROR branch.
func TestSeedLifecycleJoinError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, []phxtest.Option{seedChannel()})
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:forbidden"))
		require.NoError(t, err)
		supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		var st states[ChatValue]
		unsubscribe := chat.Subscribe(st.add)
		empty := &ChatValue{Messages: []ChatMessage{}}
		failed := seedState(empty, supervisor.Failed,
			&supervisor.Error{Kind: supervisor.KindConnectError, Cause: map[string]any{"reason": "unauthorized"}},
			false, nil, false)
		assert.Equal(t, []supervisor.State[ChatValue]{seedState(empty, supervisor.Loading, nil, false, nil, false), failed}, st.next())
		unsubscribe()
		synctest.Wait()
		assert.Equal(t, failed, chat.State())
	})
}

// spec: J3 — the diagram's JOIN TIMEOUT branch; as the official client, the
// timed-out join is left.
func TestSeedLifecycleJoinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, []phxtest.Option{seedChannel()})
		e.srv.WithholdReplies(protocol.EventJoin, true)
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:lobby"))
		require.NoError(t, err)
		supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		var st states[ChatValue]
		unsubscribe := chat.Subscribe(st.add)
		empty := &ChatValue{Messages: []ChatMessage{}}
		loading := seedState(empty, supervisor.Loading, nil, false, nil, false)
		assert.Equal(t, []supervisor.State[ChatValue]{loading}, st.next())
		time.Sleep(supervisor.DefaultJoinTimeout)
		failed := seedState(empty, supervisor.Failed, &supervisor.Error{Kind: supervisor.KindConnectTimeout}, false, nil, false)
		assert.Equal(t, []supervisor.State[ChatValue]{failed}, st.next())
		assert.Equal(t, []string{"phx_join", "phx_leave"}, e.clientEvents("chat:lobby"))
		unsubscribe()
	})
}
