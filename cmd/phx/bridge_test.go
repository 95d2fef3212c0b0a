package main

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/tests/phxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feedStore is the history of a cursor-aware channel. It lives outside the
// server, as a database would, so it survives the server's restarts.
//
// Why not the demo app's chat:*: its history is in memory and Restart
// clears it (and restarts its ids at 1), as the real app's ETS table does;
// a bridge cannot recover what the server itself forgot. The scenario here
// is the one a bridge exists for: the server keeps its history, the bridge
// and the connection come and go, and events posted while the bridge is
// away (server down, channel crashed) must arrive through the join reply.
type feedStore struct {
	mu    sync.Mutex
	next  int
	msgs  map[string][]phxtest.Message
	joins []string // "topic last_id" of every join the server saw
}

func newFeedStore() *feedStore { return &feedStore{msgs: map[string][]phxtest.Message{}} }

func (f *feedStore) add(topic, body string) phxtest.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	m := phxtest.Message{ID: strconv.Itoa(f.next), Body: body, InsertedAt: "2026-12-04T00:00:00Z"}
	f.msgs[topic] = append(f.msgs[topic], m)
	return m
}

func (f *feedStore) ids(topic string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs[topic] {
		out = append(out, m.ID)
	}
	return out
}

// join answers {"messages": history after last_id}, sloppily: it also
// repeats the two messages before last_id, as a server whose cursor is
// coarse would, so the bridge must deduplicate.
func (f *feedStore) join(topic string, p phxtest.Payload) phxtest.Payload {
	last := 0
	if raw := p.Field("last_id"); raw != nil {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			last, _ = strconv.Atoi(s)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joins = append(f.joins, topic+" "+strconv.Itoa(last))
	out := []phxtest.Message{}
	for _, m := range f.msgs[topic] {
		if id, _ := strconv.Atoi(m.ID); id > last-2 {
			out = append(out, m)
		}
	}
	return phxtest.JSON(map[string]any{"messages": out})
}

func (f *feedStore) option() phxtest.Option {
	return phxtest.WithChannel("feed:*", func() phxtest.Channel {
		return phxtest.ChannelFuncs{JoinFunc: func(topic string, p phxtest.Payload, _ *phxtest.ChannelSocket) (phxtest.Payload, error) {
			return f.join(topic, p), nil
		}}
	})
}

// forwarded reads the bridge's stdout: the ids forwarded per topic, in order.
func forwarded(t *testing.T, lines []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range decodeLines(t, lines) {
		require.Equal(t, "new_msg", m["event"], "only new_msg is forwarded")
		p := m["payload"].(map[string]any)
		out[m["topic"].(string)] = append(out[m["topic"].(string)], p["id"].(string))
	}
	return out
}

// `phx bridge` through three forced server restarts (graceful, killed,
// graceful) and a channel crash, with events posted while connected (some
// broadcast twice), while the server is down, and while the channel is
// crashed: every message reaches the sink exactly once, in order.
// spec: J5, L1
func TestBridgeLosesAndDuplicatesNothingAcrossRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newFeedStore()
		srv := phxtest.NewPipeServer(store.option())
		defer srv.Close()
		topics := []string{"feed:a", "feed:b"}
		live := func(topic, body string) {
			m := store.add(topic, body)
			require.NoError(t, srv.Broadcast(topic, "new_msg", phxtest.JSON(m)))
		}
		// History before the bridge starts: replayed from the first join reply.
		store.add("feed:a", "a0")
		store.add("feed:a", "a1")
		store.add("feed:b", "b0")

		c := startCmd(pipeCtx(srv), "bridge", "--url", srv.URL(), "--topic", "feed:a", "feed:b", "--to", "-",
			"--event", "new_msg", "--cursor-param", "last_id", "--cursor-field", "id",
			"--replay-field", "messages", "--replay-event", "new_msg", "--json", "--log-level", "error")
		synctest.Wait()
		require.Len(t, c.stdout.lines(), 3, "the history, from the join replies")

		for round, mode := range []phxtest.StopMode{phxtest.Graceful, phxtest.Kill, phxtest.Graceful} {
			for _, tp := range topics {
				live(tp, "live 1")
				live(tp, "live 2")
				// The same message broadcast twice: forwarded once.
				m := store.add(tp, "twice")
				require.NoError(t, srv.Broadcast(tp, "new_msg", phxtest.JSON(m)))
				require.NoError(t, srv.Broadcast(tp, "new_msg", phxtest.JSON(m)))
			}
			synctest.Wait()

			srv.Stop(mode)
			for _, tp := range topics {
				store.add(tp, "while the server is down")
				store.add(tp, "while the server is down, again")
			}
			require.NoError(t, srv.Start())
			time.Sleep(6 * time.Second) // reconnect backoff on the fake clock
			synctest.Wait()
			require.Equal(t, map[string][]string{"feed:a": store.ids("feed:a"), "feed:b": store.ids("feed:b")},
				forwarded(t, c.stdout.lines()), "after restart %d (%v)", round+1, mode)
		}

		// A channel crash: phx_error, then a rejoin (after 1 s) with the cursor.
		require.Equal(t, 1, srv.CrashChannel("feed:a"))
		synctest.Wait()
		store.add("feed:a", "while the channel is crashed")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		live("feed:a", "after the crash")
		synctest.Wait()

		r := c.stop()
		require.Equal(t, exitOK, r.code, r.stderr)
		got := forwarded(t, c.stdout.lines())
		assert.Equal(t, store.ids("feed:a"), got["feed:a"], "feed:a: every message once, in order")
		assert.Equal(t, store.ids("feed:b"), got["feed:b"], "feed:b: every message once, in order")

		// Every rejoin asked for what came after the last forwarded message.
		store.mu.Lock()
		joins := append([]string(nil), store.joins...)
		store.mu.Unlock()
		assert.Contains(t, joins, "feed:a 0", "the first join has no cursor")
		assert.Len(t, joins, 2+3*2+1, "two first joins, a rejoin per topic per restart, one after the crash")
		for _, j := range joins[2:] {
			assert.NotContains(t, []string{"feed:a 0", "feed:b 0"}, j, "rejoins carry the cursor")
		}

		var rep bridgeReport
		lines := splitLines(r.stderr)
		require.NotEmpty(t, lines)
		require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &rep), r.stderr)
		total := int64(len(got["feed:a"]) + len(got["feed:b"]))
		assert.Equal(t, total, rep.Forwarded)
		assert.Zero(t, rep.Undelivered)
		assert.Equal(t, "stdout", rep.Sink)
		// Duplicates skipped: one double broadcast per topic per round, plus
		// what the sloppy join replies repeated.
		assert.Greater(t, rep.Duplicates, int64(2*3))
		last := store.ids("feed:a")
		assert.JSONEq(t, strconv.Quote(last[len(last)-1]), string(rep.Topics["feed:a"].LastCursor))
	})
}
