package tests

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Session rules end to end, against the demo app of the phoenix-wire
// transcripts (tests/phxtest), on the fake clock.

// ready subscribes and waits until the session is ready.
func ready[T any](t *testing.T, s *supervisor.Session[T]) (*states[T], func()) {
	t.Helper()
	var st states[T]
	unsubscribe := s.Subscribe(st.add)
	synctest.Wait()
	require.Equal(t, supervisor.Ready, s.State().Status, "joined")
	return &st, unsubscribe
}

// spec: M1, M3 — three subscribers make one join; the last unsubscribe
// leaves; a new subscribe joins again.
func TestSessionMountUnmount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:mount"))
		require.NoError(t, err)
		u1 := chat.Subscribe(nil)
		u2 := chat.Subscribe(nil)
		u3 := chat.Subscribe(nil)
		synctest.Wait()
		assert.Equal(t, 1, e.srv.JoinCount("chat:mount"))
		assert.Equal(t, []string{"phx_join"}, e.clientEvents("chat:mount"))
		u1()
		u1() // idempotent
		u2()
		synctest.Wait()
		assert.Equal(t, 1, e.srv.JoinCount("chat:mount"), "still joined for the last subscriber")
		u3()
		synctest.Wait()
		assert.Equal(t, 0, e.srv.JoinCount("chat:mount"))
		assert.Equal(t, []string{"phx_join", "phx_leave"}, e.clientEvents("chat:mount"))
		assert.Equal(t, supervisor.Ready, chat.State().Status, "the last state stays readable")

		_, u4 := ready(t, chat)
		defer u4()
		assert.Equal(t, 1, e.srv.JoinCount("chat:mount"))
	})
}

// spec: M4 — before any subscriber, and after the last, calls and casts
// fail with ErrNotMounted.
func TestSessionNotMountedE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:m4"))
		require.NoError(t, err)
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		typing := supervisor.NewCast[map[string]bool](chat, "typing")
		ctx := context.Background()
		_, err = send.Call(ctx, SendPayload{Body: "x"})
		assert.ErrorIs(t, err, supervisor.ErrNotMounted)
		assert.ErrorIs(t, typing.Cast(ctx, map[string]bool{"active": true}), supervisor.ErrNotMounted)
		assert.False(t, chat.State().Processing["send"], "a refused call leaves the bucket alone")
		_, unsubscribe := ready(t, chat)
		_, err = send.Call(ctx, SendPayload{Body: "x"})
		assert.NoError(t, err)
		unsubscribe()
		_, err = send.Call(ctx, SendPayload{Body: "x"})
		assert.ErrorIs(t, err, supervisor.ErrNotMounted)
	})
}

// spec: S4 — a state a subscriber keeps never changes afterwards.
func TestSessionStateImmutableE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:s4"))
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		st, unsubscribe := ready(t, chat)
		defer unsubscribe()
		kept := st.last()
		keptJSON, _ := json.Marshal(kept)
		_, err := send.Call(context.Background(), SendPayload{Body: "one"})
		require.NoError(t, err)
		_, err = send.Call(context.Background(), SendPayload{Body: " "})
		require.Error(t, err)
		synctest.Wait()
		require.Len(t, chat.State().Value.Messages, 1)
		again, _ := json.Marshal(kept)
		assert.Equal(t, string(keptJSON), string(again))
		assert.Empty(t, kept.Value.Messages)
	})
}

// spec: M5 — a subscriber stuck in its callback does not block the session
// or another subscriber, and gets the latest state when it resumes.
func TestSessionSlowSubscriberE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:m5"))
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		release := make(chan struct{})
		var slowLast atomic.Int64
		unsubSlow := chat.Subscribe(func(s supervisor.State[ChatValue]) {
			if s.Status == supervisor.Ready && len(s.Value.Messages) == 1 {
				<-release
			}
			slowLast.Store(int64(len(s.Value.Messages)))
		})
		defer unsubSlow()
		fast, unsubFast := ready(t, chat)
		defer unsubFast()
		for i := 0; i < 50; i++ {
			_, err := send.Call(context.Background(), SendPayload{Body: "m"})
			require.NoError(t, err, "the session keeps working")
		}
		assert.Len(t, fast.last().Value.Messages, 50)
		close(release)
		synctest.Wait()
		assert.Equal(t, int64(50), slowLast.Load(), "the slow subscriber ends on the latest state")
		assert.Positive(t, chat.Stats().StatesSkipped)
	})
}

// spec: J4 — a refused join is retried on the rejoin backoff (1, 2, 5,
// then 10 s) and a later success makes the session ready.
func TestSessionJoinRetryBackoffE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var joins atomic.Int32
		e := newEnv(t, []phxtest.Option{phxtest.WithChannel("chat:*", func() phxtest.Channel {
			return phxtest.ChannelFuncs{JoinFunc: func(string, phxtest.Payload, *phxtest.ChannelSocket) (phxtest.Payload, error) {
				if joins.Add(1) <= 4 {
					return phxtest.Payload{}, phxtest.Refuse(phxtest.JSON(map[string]string{"reason": "not yet"}))
				}
				return phxtest.JSON(ChatJoinOk{Messages: []ChatMessage{msg1}}), nil
			}}
		})})
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:retry"))
		unsubscribe := chat.Subscribe(nil)
		defer unsubscribe()
		start := time.Now()
		var at []time.Duration
		for i := 0; i < 5; i++ {
			synctest.Wait()
			for int(joins.Load()) == len(at) {
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
			}
			at = append(at, time.Since(start).Round(100*time.Millisecond))
			if i < 4 {
				assert.Equal(t, supervisor.Failed, chat.State().Status)
				assert.Equal(t, supervisor.KindConnectError, chat.State().Error.Kind)
			}
		}
		assert.Equal(t, []time.Duration{0, time.Second, 3 * time.Second, 8 * time.Second, 18 * time.Second}, at)
		assert.Equal(t, supervisor.Ready, chat.State().Status)
		assert.Nil(t, chat.State().Error)
		assert.Equal(t, []ChatMessage{msg1}, chat.State().Value.Messages)
	})
}

// spec: J4 — "unmatched topic" is permanent; MaxJoinTries gives up.
func TestSessionJoinPermanentE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		nowhere, _ := supervisor.NewSession(e.ep, supervisor.Config[ChatValue]{Topic: "nochannel:x"})
		u1 := nowhere.Subscribe(nil)
		defer u1()
		limited, _ := supervisor.NewSession(e.ep, supervisor.Config[ChatValue]{Topic: phxtest.TopicForbidden, MaxJoinTries: 3})
		u2 := limited.Subscribe(nil)
		defer u2()
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, []string{"phx_join"}, e.clientEvents("nochannel:x"))
		assert.Equal(t, supervisor.Failed, nowhere.State().Status)
		assert.Equal(t, map[string]any{"reason": "unmatched topic"}, nowhere.State().Error.Cause)
		assert.Equal(t, []string{"phx_join", "phx_join", "phx_join"}, e.clientEvents(phxtest.TopicForbidden))
		assert.Equal(t, supervisor.Failed, limited.State().Status)
	})
}

// spec: J5 — join params from the current value at every rejoin: after a
// drop, the rejoin asks only for messages after the last one held, and
// Connect.Ok merges them (the rejoin_with_last_id transcript).
func TestSessionRejoinWithLastIDE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		cfg := seedConfig("chat:history")
		cfg.Join = func(v *ChatValue) any {
			p := map[string]string{"user": "alice"}
			if v != nil && len(v.Messages) > 0 {
				p["last_id"] = v.Messages[len(v.Messages)-1].ID
			}
			return p
		}
		cfg.Connect.Ok = supervisor.OnJoin(func(v *ChatValue, r ChatJoinOk) ChatValue {
			return ChatValue{Messages: append(append([]ChatMessage{}, v.Messages...), r.Messages...)}
		})
		chat, _ := supervisor.NewSession(e.ep, cfg)
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		_, err := send.Call(context.Background(), SendPayload{Body: "one"})
		require.NoError(t, err)
		synctest.Wait()
		held := chat.State().Value.Messages
		require.Len(t, held, 1)

		e.srv.Conns()[0].Drop()
		synctest.Wait()
		assert.Equal(t, supervisor.Stale, chat.State().Status)
		e.srv.Demo().Post("chat:history", "two") // missed while away
		time.Sleep(time.Second)                  // reconnect backoff
		synctest.Wait()
		require.Equal(t, supervisor.Ready, chat.State().Status)
		joins := e.clientFrames("chat:history")
		var rejoin protocol.Frame
		for _, f := range joins {
			if f.Event == protocol.EventJoin {
				rejoin = f
			}
		}
		assert.JSONEq(t, `{"user":"alice","last_id":"`+held[0].ID+`"}`, string(rejoin.Payload))
		var bodies []string
		for _, m := range chat.State().Value.Messages {
			bodies = append(bodies, m.Body)
		}
		assert.Equal(t, []string{"one", "two"}, bodies, "no duplicate, nothing lost")
	})
}

// spec: E1, E2, E3 — the seed's three events; an event without handler is
// ignored; an undecodable payload and a panicking handler are dropped and
// counted, and the session keeps working.
func TestSessionEventsE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		cfg := seedConfig("chat:events")
		cfg.Events["message_updated"] = supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
			out := make([]ChatMessage, len(v.Messages))
			for i, cur := range v.Messages {
				if cur.ID == m.ID {
					cur = m
				}
				out[i] = cur
			}
			return ChatValue{Messages: out}
		})
		cfg.Events["message_deleted"] = supervisor.On(func(v *ChatValue, p struct{ ID string }) ChatValue {
			var out []ChatMessage
			for _, cur := range v.Messages {
				if cur.ID != p.ID {
					out = append(out, cur)
				}
			}
			return ChatValue{Messages: out}
		})
		cfg.Events["boom"] = supervisor.On(func(*ChatValue, json.RawMessage) ChatValue { panic("handler bug") })
		var unhandled []string
		cfg.Unhandled = func(event string, _ json.RawMessage) { unhandled = append(unhandled, event) }
		chat, _ := supervisor.NewSession(e.ep, cfg)
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		edit := supervisor.NewCall[map[string]string, SendOk, SendError](chat, "edit", "message_updated")
		remove := supervisor.NewCall[map[string]string, SendOk, SendError](chat, "remove", "message_deleted")
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		ctx := context.Background()
		for _, b := range []string{"a", "b", "c"} {
			_, err := send.Call(ctx, SendPayload{Body: b})
			require.NoError(t, err)
		}
		synctest.Wait()
		msgs := chat.State().Value.Messages
		require.Len(t, msgs, 3)
		_, err := edit.Call(ctx, map[string]string{"id": msgs[1].ID, "body": "B"})
		require.NoError(t, err)
		_, err = remove.Call(ctx, map[string]string{"id": msgs[0].ID})
		require.NoError(t, err)
		synctest.Wait()
		var bodies []string
		for _, m := range chat.State().Value.Messages {
			bodies = append(bodies, m.Body)
		}
		assert.Equal(t, []string{"B", "c"}, bodies)
		s := chat.State()
		for _, a := range []string{"send", "edit", "remove"} {
			assert.False(t, s.Processing[a])
			assert.Nil(t, s.Errors[a])
		}

		before := chat.State()
		require.NoError(t, e.srv.Broadcast("chat:events", "new_msg", phxtest.JSON("not a message")))
		require.NoError(t, e.srv.Broadcast("chat:events", "boom", phxtest.JSON(map[string]int{})))
		require.NoError(t, e.srv.Broadcast("chat:events", "other", phxtest.JSON(map[string]int{})))
		synctest.Wait()
		assert.Equal(t, before, chat.State(), "dropped and unhandled events change nothing")
		assert.Equal(t, uint64(2), chat.Stats().EventsDropped)
		assert.Contains(t, unhandled, "other")
		_, err = send.Call(ctx, SendPayload{Body: "still"})
		require.NoError(t, err)
		synctest.Wait()
		assert.Len(t, chat.State().Value.Messages, 3, "still working")
	})
}

// spec: A5 — a slow older run answering last does not touch the bucket of
// the newer run; each caller gets its own reply.
func TestSessionLatestRunWinsE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("room:a5"))
		echo := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "echo", "slow_echo")
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		ctx := context.Background()
		// room:* has no slow_echo: its error reply is the older run's.
		old := goCall(func() error {
			_, err := echo.Call(ctx, map[string]any{"ms": 500})
			return err
		})
		synctest.Wait()
		echo2 := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "echo", "echo")
		reply, err := echo2.Call(ctx, map[string]any{"n": 2})
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"n": float64(2)}, reply)
		var re *supervisor.ReplyError[SendError]
		require.ErrorAs(t, <-old, &re, "the older run's caller still gets its own result")
		assert.Equal(t, "unknown_event", re.Reply.Reason)
		s := chat.State()
		assert.False(t, s.Processing["echo"])
		assert.Nil(t, s.Errors["echo"], "the older run's late error is not in the bucket")
	})
}

// spec: A5 — on chat:*, slow_echo really answers late: two runs of one
// action, the first slow; only the second updates the bucket.
func TestSessionLatestRunSlowFirstE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:a5"))
		echo := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "echo", "slow_echo",
			supervisor.WithCallTimeout(time.Second))
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		ctx := context.Background()
		first := goCall(func() error { _, err := echo.Call(ctx, map[string]any{"ms": 1500}); return err })
		synctest.Wait()
		assert.True(t, chat.State().Processing["echo"])
		time.Sleep(time.Second)
		synctest.Wait()
		assert.ErrorIs(t, <-first, supervisor.ErrTimeout)
		assert.True(t, chat.State().Timeouts["echo"])
		// The channel is busy 0.5 s more with the first; the second run
		// starts now, and the first's late reply arrives while it waits.
		second := goCall(func() error { _, err := echo.Call(ctx, map[string]any{"ms": 100}); return err })
		synctest.Wait()
		time.Sleep(550 * time.Millisecond)
		synctest.Wait()
		s := chat.State()
		assert.True(t, s.Processing["echo"], "the late reply of the first run changed nothing")
		assert.False(t, s.Timeouts["echo"])
		require.NoError(t, <-second)
		assert.False(t, chat.State().Processing["echo"])
	})
}

// spec: A6 — actions are independent, and the Phoenix event differs from
// the action name. spec: A7 — a cast pushes, waits for nothing, has no
// bucket and emits no state.
func TestSessionActionsAndCastE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:a6"))
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		wait := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "wait", "noreply",
			supervisor.WithCallTimeout(5*time.Second))
		typing := supervisor.NewCast[map[string]bool](chat, "typing")
		st, unsubscribe := ready(t, chat)
		defer unsubscribe()
		ctx := context.Background()
		waiting := goCall(func() error { _, err := wait.Call(ctx, nil); return err })
		synctest.Wait()
		_, err := send.Call(ctx, SendPayload{Body: " "})
		require.Error(t, err)
		s := chat.State()
		assert.True(t, s.Processing["wait"])
		assert.False(t, s.Processing["send"])
		assert.Equal(t, &SendError{Reason: "empty_message"}, send.Error(s))
		assert.Nil(t, s.Errors["wait"])
		assert.NotContains(t, s.Processing, "typing", "a cast has no bucket")

		st.next()
		require.NoError(t, typing.Cast(ctx, map[string]bool{"active": true}))
		synctest.Wait()
		assert.Empty(t, st.next(), "a cast emits no state")
		frames := e.clientFrames("chat:a6")
		assert.Equal(t, "typing", frames[len(frames)-1].Event)
		assert.Equal(t, frames[0].JoinRef, frames[len(frames)-1].JoinRef)

		time.Sleep(5 * time.Second)
		assert.ErrorIs(t, <-waiting, supervisor.ErrTimeout)
		assert.True(t, chat.State().Timeouts["wait"])
		assert.False(t, chat.State().Timeouts["send"])
	})
}

// spec: A8 — calls made before the join succeeds wait in the buffer and go
// after the join with its join_ref; one whose timeout passes while buffered
// is never sent; the buffer is bounded.
func TestSessionBufferedCallsE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		e.srv.SetReplyDelay(protocol.EventJoin, 3*time.Second)
		cfg := seedConfig("chat:a8")
		cfg.PushBuffer = 2
		chat, _ := supervisor.NewSession(e.ep, cfg)
		send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
		quick := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "quick", "new_msg", supervisor.WithCallTimeout(time.Second))
		unsubscribe := chat.Subscribe(nil)
		defer unsubscribe()
		ctx := context.Background()
		expired := goCall(func() error { _, err := quick.Call(ctx, SendPayload{Body: "expires"}); return err })
		synctest.Wait()
		sent := goCall(func() error { _, err := send.Call(ctx, SendPayload{Body: "buffered"}); return err })
		synctest.Wait()
		_, err := send.Call(ctx, SendPayload{Body: "overflow"})
		assert.ErrorIs(t, err, supervisor.ErrBufferFull)
		assert.True(t, chat.State().Processing["send"], "a buffered call is processing")
		time.Sleep(time.Second)
		assert.ErrorIs(t, <-expired, supervisor.ErrTimeout)
		assert.True(t, chat.State().Timeouts["quick"])
		time.Sleep(2 * time.Second)
		require.NoError(t, <-sent)
		frames := e.clientFrames("chat:a8")
		var events, payloads []string
		for _, f := range frames {
			events = append(events, f.Event)
			payloads = append(payloads, string(f.Payload))
		}
		assert.Equal(t, []string{"phx_join", "new_msg"}, events, "the expired call was never sent")
		assert.JSONEq(t, `{"body":"buffered"}`, payloads[1])
		assert.Equal(t, frames[0].JoinRef, frames[1].JoinRef)
	})
}

// spec: A9 — cancelling the context ends the caller's wait at once.
func TestSessionCallContextE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:a9"))
		wait := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "wait", "noreply")
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := wait.Call(ctx, nil)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 200*time.Millisecond, time.Since(start))
		cctx, ccancel := context.WithCancel(context.Background())
		ccancel()
		_, err = wait.Call(cctx, nil)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// spec: L1, L3, K4 — a dropped connection: the session goes stale with the
// value kept and a transport error, its call in flight ends at once, and
// after the reconnect it rejoins and is ready again through Connect.Ok.
func TestSessionDropStaleRejoinE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		e.srv.Demo().Post("chat:l1", "kept")
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:l1"))
		wait := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "wait", "noreply")
		st, unsubscribe := ready(t, chat)
		defer unsubscribe()
		st.next()
		inflight := goCall(func() error { _, err := wait.Call(context.Background(), nil); return err })
		synctest.Wait()
		e.srv.Conns()[0].Drop()
		synctest.Wait()
		err := <-inflight
		assert.ErrorIs(t, err, supervisor.ErrChannelLost, "L3: no waiting for the timeout")
		var ce *supervisor.ConnectionError
		assert.ErrorAs(t, err, &ce)
		s := chat.State()
		assert.Equal(t, supervisor.Stale, s.Status)
		assert.Equal(t, supervisor.KindTransport, s.Error.Kind)
		assert.Equal(t, "kept", s.Value.Messages[0].Body, "value kept")
		assert.False(t, s.Processing["wait"])

		e.srv.Demo().Post("chat:l1", "while away")
		time.Sleep(time.Second)
		synctest.Wait()
		s = chat.State()
		assert.Equal(t, supervisor.Ready, s.Status)
		assert.Nil(t, s.Error)
		assert.Len(t, s.Value.Messages, 2, "the rejoin reply went through Connect.Ok")
		var statuses []supervisor.Status
		for _, x := range st.next() {
			statuses = append(statuses, x.Status)
		}
		assert.Equal(t, []supervisor.Status{supervisor.Ready, supervisor.Stale, supervisor.Ready}, statuses,
			"processing, then stale (call ended, value kept), then ready")
	})
}

// spec: L1 — phx_error (the server channel crashed): stale with
// channel_error, rejoin after the rejoin backoff, ready again.
func TestSessionChannelCrashE2E(t *testing.T) {
	for _, profile := range []phxtest.Profile{phxtest.Phoenix17, phxtest.Phoenix18} {
		t.Run(profile.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, []phxtest.Option{phxtest.WithDemoApp(), phxtest.WithProfile(profile)})
				chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:crash"))
				crash := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "crash", "crash")
				_, unsubscribe := ready(t, chat)
				defer unsubscribe()
				_, err := crash.Call(context.Background(), nil)
				assert.ErrorIs(t, err, supervisor.ErrChannelLost)
				s := chat.State()
				assert.Equal(t, supervisor.Stale, s.Status)
				assert.Equal(t, supervisor.KindChannelError, s.Error.Kind)
				if profile == phxtest.Phoenix18 {
					assert.Equal(t, map[string]any{"reason": "channel_crash"}, s.Error.Cause)
				} else {
					assert.Nil(t, s.Error.Cause)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				assert.Equal(t, supervisor.Ready, chat.State().Status)
				assert.Len(t, e.rec.Filter(phxtest.Event("chat:crash", protocol.EventJoin)), 2, "one rejoin")
			})
		})
	}
}

// spec: L2 — phx_close from the server: failed with kind closed, and no
// automatic rejoin, not even after a reconnect.
func TestSessionServerCloseE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:l2"))
		stop := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "stop", "stop")
		_, unsubscribe := ready(t, chat)
		defer unsubscribe()
		_, err := stop.Call(context.Background(), nil)
		assert.ErrorIs(t, err, supervisor.ErrChannelClosed)
		s := chat.State()
		assert.Equal(t, supervisor.Failed, s.Status)
		assert.Equal(t, &supervisor.Error{Kind: supervisor.KindClosed}, s.Error)
		e.srv.Conns()[0].Drop()
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, []string{"phx_join", "stop"}, e.clientEvents("chat:l2"))
		assert.Equal(t, supervisor.Failed, chat.State().Status)
	})
}

// spec: L5, K4 — after a reconnect, the rejoins of many sessions are paced:
// at most MaxJoinsInFlight joins wait for their reply at a time.
func TestSessionRejoinsPacedE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t, supervisor.WithMaxJoinsInFlight(4))
		var unsubs []func()
		var sessions []*supervisor.Session[ChatValue]
		for i := 0; i < 20; i++ {
			s, err := supervisor.NewSession(e.ep, supervisor.Config[ChatValue]{Topic: "room:" + string(rune('a'+i))})
			require.NoError(t, err)
			sessions = append(sessions, s)
			unsubs = append(unsubs, s.Subscribe(nil))
		}
		defer func() {
			for _, u := range unsubs {
				u()
			}
		}()
		synctest.Wait()
		for _, s := range sessions {
			require.Equal(t, supervisor.Ready, s.State().Status)
		}
		e.srv.WithholdReplies(protocol.EventJoin, true)
		e.rec.Reset()
		e.srv.Conns()[0].Drop()
		time.Sleep(time.Second) // reconnect
		synctest.Wait()
		joins := e.rec.Filter(func(r phxtest.Record) bool {
			f, err := r.Frame()
			return err == nil && r.Dir == phxtest.FromClient && f.Event == protocol.EventJoin
		})
		assert.Len(t, joins, 4, "only MaxJoinsInFlight joins go out while none is answered")
		e.srv.WithholdReplies(protocol.EventJoin, false)
		time.Sleep(supervisor.DefaultJoinTimeout + 5*time.Second)
		synctest.Wait()
		for _, s := range sessions {
			assert.Equal(t, supervisor.Ready, s.State().Status)
		}
	})
}

// Duplicate-join safety: a join that timed out is answered late, and its
// leave's phx_close arrives after the rejoin was sent; neither touches the
// new join (slow_join and duplicate_join transcripts).
func TestSessionStaleJoinRepliesE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var joins atomic.Int32
		e := newEnv(t, []phxtest.Option{phxtest.WithChannel("chat:*", func() phxtest.Channel {
			return phxtest.ChannelFuncs{JoinFunc: func(_ string, _ phxtest.Payload, s *phxtest.ChannelSocket) (phxtest.Payload, error) {
				n := joins.Add(1)
				if n == 1 {
					s.Sleep(12 * time.Second) // longer than the join timeout
					return phxtest.JSON(ChatJoinOk{Messages: []ChatMessage{{ID: "stale"}}}), nil
				}
				return phxtest.JSON(ChatJoinOk{Messages: []ChatMessage{msg1}}), nil
			}}
		})})
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:dup"))
		var st states[ChatValue]
		unsubscribe := chat.Subscribe(st.add)
		defer unsubscribe()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		s := chat.State()
		assert.Equal(t, supervisor.Ready, s.Status)
		assert.Equal(t, []ChatMessage{msg1}, s.Value.Messages, "the stale join's reply was not applied")
		for _, x := range st.next() {
			for _, m := range x.Value.Messages {
				assert.NotEqual(t, "stale", m.ID)
			}
		}
		closes := e.rec.Filter(phxtest.Event("chat:dup", protocol.EventClose))
		assert.NotEmpty(t, closes, "the server did send phx_close for the old join")
		assert.Equal(t, int32(2), joins.Load())
	})
}

// K6: asking again for a topic returns the same session; another value
// type is an error.
func TestSessionSameTopicSameSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		a, err := supervisor.NewSession(e.ep, seedConfig("chat:k6"))
		require.NoError(t, err)
		b, err := supervisor.NewSession(e.ep, supervisor.Config[ChatValue]{Topic: "chat:k6"})
		require.NoError(t, err)
		assert.Same(t, a, b)
		_, err = supervisor.NewSession(e.ep, supervisor.Config[string]{Topic: "chat:k6"})
		assert.ErrorIs(t, err, supervisor.ErrSessionExists)
		_, err = supervisor.NewSession(e.ep, supervisor.Config[string]{Topic: ""})
		assert.ErrorIs(t, err, supervisor.ErrInvalidOption)
		bad := supervisor.NewCall[int, int, int](a, "bad", protocol.EventJoin)
		_, err = bad.Call(context.Background(), 1)
		assert.ErrorIs(t, err, supervisor.ErrInvalidOption)
	})
}

// K6a: a server capping channels per socket answers "too many channels
// joined"; the session moves to another socket and joins there.
func TestSessionTooManyChannelsMovesE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, []phxtest.Option{phxtest.WithDemoApp(), phxtest.WithMaxChannels(2)})
		var unsubs []func()
		var sessions []*supervisor.Session[ChatValue]
		for _, topic := range []string{"room:1", "room:2", "room:3"} {
			s, _ := supervisor.NewSession(e.ep, supervisor.Config[ChatValue]{Topic: topic})
			sessions = append(sessions, s)
			unsubs = append(unsubs, s.Subscribe(nil))
			synctest.Wait()
		}
		defer func() {
			for _, u := range unsubs {
				u()
			}
		}()
		for _, s := range sessions {
			assert.Equal(t, supervisor.Ready, s.State().Status, s.Topic())
		}
		assert.Equal(t, 2, e.srv.ConnCount())
	})
}

// spec: L4 — a push answered "unmatched topic" (the server lost the
// channel; the reply is the one the transcripts show, null join_ref): the
// call ends with ErrChannelLost, the session goes stale and rejoins. The
// server still had the channel, so it answers the rejoin with the new
// join's ok and then phx_close for the old join_ref, which changes nothing
// (duplicate_join transcript).
func TestSessionUnmatchedTopicOnPushE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		chat, _ := supervisor.NewSession(e.ep, seedConfig("chat:l4"))
		wait := supervisor.NewCall[map[string]any, map[string]any, SendError](chat, "wait", "noreply")
		var st states[ChatValue]
		unsubscribe := chat.Subscribe(st.add)
		defer unsubscribe()
		st.next() // loading, ready
		inflight := goCall(func() error { _, err := wait.Call(context.Background(), nil); return err })
		synctest.Wait()
		frames := e.clientFrames("chat:l4")
		push := frames[len(frames)-1]
		require.Equal(t, "noreply", push.Event)
		lost := `[null,"` + push.Ref + `","chat:l4","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]`
		require.NoError(t, e.srv.Conns()[0].SendRaw([]byte(lost), false))
		synctest.Wait()
		assert.ErrorIs(t, <-inflight, supervisor.ErrChannelLost)
		var statuses []supervisor.Status
		var stale supervisor.State[ChatValue]
		for _, s := range st.next() {
			statuses = append(statuses, s.Status)
			if s.Status == supervisor.Stale {
				stale = s
			}
		}
		assert.Equal(t, []supervisor.Status{supervisor.Ready, supervisor.Stale, supervisor.Ready}, statuses)
		assert.Equal(t, &supervisor.Error{Kind: supervisor.KindChannelError, Cause: "unmatched topic"}, stale.Error)
		assert.Equal(t, []string{"phx_join", "noreply", "phx_join"}, e.clientEvents("chat:l4"))
		assert.NotEmpty(t, e.rec.Filter(phxtest.Event("chat:l4", protocol.EventClose)), "the old join's phx_close came")
		time.Sleep(time.Minute)
		synctest.Wait()
		assert.Equal(t, supervisor.Ready, chat.State().Status, "and was ignored")
		assert.Equal(t, 1, e.srv.JoinCount("chat:l4"))
	})
}

// Config.Linger: the last unsubscribe leaves only after the linger; a
// subscribe within it keeps the channel without a new join.
func TestSessionLingerE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		cfg := seedConfig("chat:linger")
		cfg.Linger = 5 * time.Second
		chat, _ := supervisor.NewSession(e.ep, cfg)
		_, u1 := ready(t, chat)
		u1()
		time.Sleep(4 * time.Second)
		_, u2 := ready(t, chat)
		assert.Equal(t, []string{"phx_join"}, e.clientEvents("chat:linger"), "no churn")
		u2()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		assert.Equal(t, []string{"phx_join", "phx_leave"}, e.clientEvents("chat:linger"))
		assert.Equal(t, 0, e.srv.JoinCount("chat:linger"))
	})
}
