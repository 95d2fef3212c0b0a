package phxtest

import "testing"

// Conformance: each transcript in testdata/phoenix-wire, captured from a real
// Phoenix 1.7.24 server, is replayed against this package's server (pipe
// transport, fake clock) and what comes back must match frame for frame:
// refs, join_refs, topics, events, payloads (generated ids, presence refs
// and timestamps normalised), order per connection, close codes, HTTP
// statuses. See replay_driver_test.go and replay_compare_test.go.

// replayCases configures the server of each transcript like the real one.
var replayCases = map[string]replayCase{
	"admin_broadcast":      {},
	"binary_frames":        {},
	"broadcast_new_msg":    {},
	"channel_crash":        {},
	"duplicate_join":       {},
	"force_disconnect":     {},
	"heartbeat":            {},
	"idle_timeout":         {},
	"join_bad_token":       {},
	"join_crash":           {},
	"join_error_forbidden": {},
	"join_ok": {setup: func(t *testing.T, srv *Server) {
		// "seeded 2 messages on chat:join_ok through another (unrecorded) socket"
		srv.Demo().Post("chat:join_ok", "first message")
		srv.Demo().Post("chat:join_ok", "second message")
	}},
	"leave":                   {},
	"malformed_frame":         {},
	"max_channels":            {opts: []Option{WithMaxChannels(1000)}}, // the transcript's server was set to 1000
	"presence_state_diff":     {},
	"push_before_join":        {},
	"push_noreply":            {},
	"push_reply_error":        {},
	"push_reply_ok":           {},
	"push_unknown_event":      {},
	"rejoin_with_last_id":     {},
	"server_restart_graceful": {},
	"server_restart_kill":     {},
	"server_stop":             {},
	"slow_join":               {},
	"tick_ordering":           {},
	"unmatched_topic":         {},
	"update_delete":           {},
	"vsn1_serializer":         {},
}

// TestReplay_everyTranscriptHasACase fails when a transcript is added
// without a replay case (and so without a TestReplay_ function).
func TestReplay_everyTranscriptHasACase(t *testing.T) {
	names, err := transcriptNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no transcripts in " + transcriptDir)
	}
	for _, n := range names {
		if _, ok := replayCases[n]; !ok {
			t.Errorf("transcript %s.jsonl has no replay case", n)
		}
	}
	if len(names) != len(replayCases) {
		t.Errorf("%d transcripts, %d replay cases", len(names), len(replayCases))
	}
}

// spec: E1 (E1 endpoint broadcasts)
func TestReplay_admin_broadcast(t *testing.T) { runReplay(t, "admin_broadcast") }

// spec: W4 (W4 binary frames both ways)
func TestReplay_binary_frames(t *testing.T) { runReplay(t, "binary_frames") }

// spec: E1 (E1 broadcasts to every subscriber)
func TestReplay_broadcast_new_msg(t *testing.T) { runReplay(t, "broadcast_new_msg") }

// spec: L1 (L1 phx_error with ref = join_ref after a crash)
func TestReplay_channel_crash(t *testing.T) { runReplay(t, "channel_crash") }

// spec: K6 (K6 duplicate join: new reply, then phx_close of the old join_ref)
func TestReplay_duplicate_join(t *testing.T) { runReplay(t, "duplicate_join") }

// spec: K2a (K2a server disconnect closes with 1000)
func TestReplay_force_disconnect(t *testing.T) { runReplay(t, "force_disconnect") }

// spec: W3 (W3 heartbeat replies; other events on "phoenix" are unmatched)
func TestReplay_heartbeat(t *testing.T) { runReplay(t, "heartbeat") }

// spec: K2 (K2 idle timeout: close 1000 after 60 s)
func TestReplay_idle_timeout(t *testing.T) { runReplay(t, "idle_timeout") }

// spec: W1 (W1 403 on refused connect and bad vsn, V1 without vsn, 400 without upgrade)
func TestReplay_join_bad_token(t *testing.T) { runReplay(t, "join_bad_token") }

// spec: W3 (W3 join crashed)
func TestReplay_join_crash(t *testing.T) { runReplay(t, "join_crash") }

// spec: J2 (J2 join refused; topic stays unjoined)
func TestReplay_join_error_forbidden(t *testing.T) { runReplay(t, "join_error_forbidden") }

// spec: W2 (W2 join reply, presence_diff before presence_state)
func TestReplay_join_ok(t *testing.T) { runReplay(t, "join_ok") }

// spec: M3 (M3 phx_leave: ok then phx_close)
func TestReplay_leave(t *testing.T) { runReplay(t, "leave") }

// spec: W6 (W6 close 1011 on a malformed frame; lenient odd frames)
func TestReplay_malformed_frame(t *testing.T) { runReplay(t, "malformed_frame") }

// spec: K6a (K6a too many channels joined)
func TestReplay_max_channels(t *testing.T) { runReplay(t, "max_channels") }

// spec: W2 (presence joins and leaves on leave, drop and close)
func TestReplay_presence_state_diff(t *testing.T) { runReplay(t, "presence_state_diff") }

// spec: L4 (L4 unmatched topic for a push before join)
func TestReplay_push_before_join(t *testing.T) { runReplay(t, "push_before_join") }

// spec: A4 (A4 no reply for {:noreply})
func TestReplay_push_noreply(t *testing.T) { runReplay(t, "push_noreply") }

// spec: A3 (A3 error replies)
func TestReplay_push_reply_error(t *testing.T) { runReplay(t, "push_reply_error") }

// spec: A2 (A2 broadcast before the pusher's reply)
func TestReplay_push_reply_ok(t *testing.T) { runReplay(t, "push_reply_ok") }

// spec: K5 (K5 reply carries the channel's join_ref)
func TestReplay_push_unknown_event(t *testing.T) { runReplay(t, "push_unknown_event") }

// spec: J5 (J5 last_id filters the history)
func TestReplay_rejoin_with_last_id(t *testing.T) { runReplay(t, "rejoin_with_last_id") }

// spec: K2a (K2a close 1012 on graceful shutdown; refused while down)
func TestReplay_server_restart_graceful(t *testing.T) { runReplay(t, "server_restart_graceful") }

// spec: K2a (K2a drop without close frame on kill)
func TestReplay_server_restart_kill(t *testing.T) { runReplay(t, "server_restart_kill") }

// spec: L2 (L2 phx_close on {:stop, ...})
func TestReplay_server_stop(t *testing.T) { runReplay(t, "server_stop") }

// spec: K2 (K2 a slow join blocks the socket)
func TestReplay_slow_join(t *testing.T) { runReplay(t, "slow_join") }

// spec: A2 (A2 pushes and broadcasts before the reply)
func TestReplay_tick_ordering(t *testing.T) { runReplay(t, "tick_ordering") }

// spec: W3 (W3 unmatched topic with null join_ref)
func TestReplay_unmatched_topic(t *testing.T) { runReplay(t, "unmatched_topic") }

// spec: E1 (E1 message_updated / message_deleted)
func TestReplay_update_delete(t *testing.T) { runReplay(t, "update_delete") }

// spec: W5 (W5 vsn 1.0.0 object frames)
func TestReplay_vsn1_serializer(t *testing.T) { runReplay(t, "vsn1_serializer") }
