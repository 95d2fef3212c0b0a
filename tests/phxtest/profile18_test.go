package phxtest

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// spec: L1 (Phoenix 1.8.10+: phx_error carries {"reason":"channel_crash"})
func TestPhoenix18_ErrorPayload(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["1","1","chat:c","phx_join",{}]`)
		c.recv()
		c.send(`["1","2","chat:c","crash",{}]`)
		c.expect(`["1","1","chat:c","phx_error",{"reason":"channel_crash"}]`)
	}, WithProfile(Phoenix18))
}

// spec: K2a (Phoenix 1.8.8+: a server disconnect closes with 1001)
func TestPhoenix18_DisconnectCloses1001(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0&token=t")
		c.send(joinRoom)
		c.expect(joinedRoom)
		srv.Disconnect("user_socket:t")
		c.expectEnd(websocket.CloseGoingAway)
	}, WithProfile(Phoenix18))
}

// spec: A8 (Phoenix 1.8.3+: a push with a stale join_ref is ignored without
// a reply; a null join_ref, as vsn 1.0.0 and empty binary join_refs send,
// still reaches the channel)
func TestPhoenix18_StaleJoinRefIgnored(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["2","2","room:s","phx_join",{}]`)
		c.expect(`["2","2","room:s","phx_reply",{"response":{},"status":"ok"}]`)
		c.send(`["1","3","room:s","echo",{"stale":true}]`)
		c.quiet(10 * time.Second)
		c.send(`[null,"4","room:s","echo",{"null":true}]`)
		c.expect(`["2","4","room:s","phx_reply",{"response":{"null":true},"status":"ok"}]`)
		c.send(`["2","5","room:s","echo",{}]`)
		c.expect(`["2","5","room:s","phx_reply",{"response":{},"status":"ok"}]`)
		// A leave with a stale join_ref is ignored by both versions.
		c.send(`["1","6","room:s","phx_leave",{}]`)
		c.quiet(10 * time.Second)
	}, WithProfile(Phoenix18))
}

// The 1.7 profile processes the same stale push and replies with the
// channel's join_ref (push_unknown_event.jsonl).
func TestPhoenix17_StaleJoinRefProcessed(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["2","2","room:s","phx_join",{}]`)
		c.recv()
		c.send(`["1","3","room:s","echo",{"stale":true}]`)
		c.expect(`["2","3","room:s","phx_reply",{"response":{"stale":true},"status":"ok"}]`)
		srv.Disconnect("") // no id: nothing happens
		c.send(hb)
		c.expect(hbReply)
	})
}

func TestProfileString(t *testing.T) {
	if Phoenix17.String() != "phoenix-1.7" || Phoenix18.String() != "phoenix-1.8" {
		t.Fatalf("profile names %q %q", Phoenix17, Phoenix18)
	}
}
