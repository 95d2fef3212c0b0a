package main

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listenLine is the part of a listen line a test compares.
type listenLine struct {
	topic, kind, status, errKind, event string
}

func summarize(t *testing.T, lines []string) []listenLine {
	t.Helper()
	var out []listenLine
	for _, m := range decodeLines(t, lines) {
		l := listenLine{topic: m["topic"].(string), kind: m["kind"].(string)}
		switch l.kind {
		case "state":
			require.Contains(t, m, "value")
			require.Contains(t, m, "error")
			l.status = m["status"].(string)
			if e, ok := m["error"].(map[string]any); ok {
				l.errKind = e["kind"].(string)
			}
		case "event":
			require.Contains(t, m, "payload")
			l.event = m["event"].(string)
		default:
			t.Fatalf("unknown kind %q", l.kind)
		}
		out = append(out, l)
	}
	return out
}

// only keeps topic's lines.
func only(lines []listenLine, topic string) []listenLine {
	var out []listenLine
	for _, l := range lines {
		if l.topic == topic {
			out = append(out, l)
		}
	}
	return out
}

// `phx listen` prints states and events per topic, in order, and survives
// server restarts (graceful: close 1012; killed: no close frame), printing
// the stale state and the ready state of the rejoin.
// spec: L1
func TestListenAcrossServerRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		c := startCmd(pipeCtx(srv), "listen", "--url", srv.URL(), "chat:lobby", "--log-level", "off", "room:1")
		synctest.Wait()

		loading := listenLine{kind: "state", status: "loading"}
		ready := listenLine{kind: "state", status: "ready"}
		stale := listenLine{kind: "state", status: "stale", errKind: "transport"}
		ev := func(name string) listenLine { return listenLine{kind: "event", event: name} }
		with := func(topic string, ls ...listenLine) []listenLine {
			for i := range ls {
				ls[i].topic = topic
			}
			return ls
		}

		require.NoError(t, srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(phxtest.Message{ID: "1", Body: "hi"})))
		require.NoError(t, srv.Broadcast("room:1", "announce", phxtest.JSON(map[string]int{"i": 1})))
		synctest.Wait()

		require.NoError(t, srv.Restart(phxtest.Graceful))
		time.Sleep(time.Second) // the reconnect backoff (10 ms first) on the fake clock
		synctest.Wait()
		require.NoError(t, srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(phxtest.Message{ID: "1", Body: "again"})))
		synctest.Wait()

		require.NoError(t, srv.Restart(phxtest.Kill))
		time.Sleep(time.Second)
		synctest.Wait()
		require.NoError(t, srv.Broadcast("room:1", "announce", phxtest.JSON(map[string]int{"i": 2})))
		synctest.Wait()

		r := c.stop()
		assert.Equal(t, exitOK, r.code, r.stderr)
		all := summarize(t, c.stdout.lines())
		assert.Equal(t, with("chat:lobby", loading, ready, ev("new_msg"), stale, ready, ev("new_msg"), stale, ready),
			only(all, "chat:lobby"))
		assert.Equal(t, with("room:1", loading, ready, ev("announce"), stale, ready, stale, ready, ev("announce")),
			only(all, "room:1"))

		// The value is the latest join reply; the event's payload is printed as is.
		m := decodeLines(t, c.stdout.lines())
		for _, l := range m {
			if l["topic"] == "chat:lobby" && l["status"] == "ready" {
				assert.Equal(t, map[string]any{"messages": []any{}}, l["value"])
			}
			if l["kind"] == "event" && l["topic"] == "chat:lobby" {
				assert.Contains(t, []any{"hi", "again"}, l["payload"].(map[string]any)["body"])
			}
		}
	})
}

// Events printed by the session's actor never overtake the state published
// before them: the ready of the join comes before the presence events the
// channel pushes right behind its join reply.
func TestListenReadyBeforeFirstEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := phxtest.NewPipeServer(phxtest.WithDemoApp())
		defer srv.Close()
		c := startCmd(pipeCtx(srv), "listen", "--url", srv.URL(), "--join-payload", `{"user":"alice"}`, "chat:p")
		synctest.Wait()
		c.stop()
		got := summarize(t, c.stdout.lines())
		want := []listenLine{
			{topic: "chat:p", kind: "state", status: "loading"},
			{topic: "chat:p", kind: "state", status: "ready"},
			{topic: "chat:p", kind: "event", event: "presence_diff"},
			{topic: "chat:p", kind: "event", event: "presence_state"},
		}
		assert.Equal(t, want, got)
	})
}

// The gate's rules, step by step: states are S1, S2, ... in publish order.
func TestStateGate(t *testing.T) {
	s := func(i int) stateID { return stateID{value: i} }
	var g stateGate
	assert.True(t, g.fromSubscriber(s(1), s(1)), "first state")
	assert.False(t, g.fromSubscriber(s(1), s(1)), "same state again")

	// S2, S3 published; an event on the actor prints S3 before the
	// subscriber got S2: S2 and S3 must then be skipped, S4 printed.
	assert.True(t, g.fromActor(s(3)))
	assert.False(t, g.fromActor(s(3)), "a second event: S3 already printed")
	assert.False(t, g.fromSubscriber(s(2), s(4)), "older than the printed S3")
	assert.False(t, g.fromSubscriber(s(3), s(4)), "the printed S3")
	assert.True(t, g.fromSubscriber(s(4), s(4)))

	// The subscriber skipped the marked state (SPEC M5): the current one
	// clears the mark and is printed.
	assert.True(t, g.fromActor(s(6)))
	assert.False(t, g.fromSubscriber(s(5), s(8)))
	assert.True(t, g.fromSubscriber(s(8), s(8)), "the current state is never older than the mark")
	assert.True(t, g.fromSubscriber(s(9), s(9)))
}

func TestListenUsage(t *testing.T) {
	r := runCmd(t.Context(), "listen", "--url", "ws://127.0.0.1:4000/socket")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no topic given")

	r = runCmd(t.Context(), "listen", "chat:lobby")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--url is required")

	r = runCmd(t.Context(), "listen", "--url", "ws://127.0.0.1:4000/socket", "phoenix")
	assert.Equal(t, exitUsage, r.code, "a reserved topic")
	assert.Contains(t, r.stderr, `topic "phoenix"`)
}
