package phxtest

import (
	"strings"
	"testing"
	"time"
)

// The demo app's paths the transcripts do not show.
func TestDemoChat(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		m1 := srv.Demo().Post("chat:d", "one")
		m2 := srv.Demo().Post("chat:d", "two")
		c := dial(t, srv, "vsn=2.0.0")
		// last_id may be a number.
		c.send(`["1","1","chat:d","phx_join",{"last_id":` + m1.ID + `}]`)
		if f := c.recv(); !contains(f, `"body":"two"`) || contains(f, `"body":"one"`) {
			t.Fatalf("join reply %s", f)
		}
		c.send(`["1","2","chat:d","message_updated",{"id":"999","body":"x"}]`)
		c.expect(`["1","2","chat:d","phx_reply",{"response":{"reason":"not_found"},"status":"error"}]`)
		c.send(`["1","3","chat:d","message_updated",{"id":"` + m2.ID + `","body":" "}]`)
		c.expect(`["1","3","chat:d","phx_reply",{"response":{"reason":"empty_message"},"status":"error"}]`)
		c.send(`["1","4","chat:d","message_deleted",{"id":"999"}]`)
		c.expect(`["1","4","chat:d","phx_reply",{"response":{"reason":"not_found"},"status":"error"}]`)
		c.send(`["1","5","chat:d","new_msg",{"body":42}]`)
		c.expect(`["1","5","chat:d","phx_reply",{"response":{"reason":"empty_message"},"status":"error"}]`)
		c.send(`["1","6","chat:d","message_deleted",{"id":"` + m1.ID + `"}]`)
		c.expect(`[null,null,"chat:d","message_deleted",{"id":"`+m1.ID+`"}]`, `["1","6","chat:d","phx_reply",{"response":{},"status":"ok"}]`)
		if h := srv.Demo().History("chat:d"); len(h) != 1 || h[0].ID != m2.ID {
			t.Fatalf("history after delete: %v", h)
		}
		c.send(`["1","7","chat:d","flood",{"n":2,"size":3}]`)
		c.expect(`[null,null,"chat:d","flood",{"body":"xxx","i":1}]`, `[null,null,"chat:d","flood",{"body":"xxx","i":2}]`,
			`["1","7","chat:d","phx_reply",{"response":{"n":2},"status":"ok"}]`)
		start := time.Now()
		c.send(`["1","8","chat:d","slow_echo",{}]`)
		c.expect(`["1","8","chat:d","phx_reply",{"response":{},"status":"ok"}]`)
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("slow_echo took %v, want 500ms", d)
		}
		c.send(`["2","2","room:d","phx_join",{}]`)
		c.recv()
		c.send(`["2","3","room:d","noreply",{}]`)
		c.send(`["2","4","room:d","what",{}]`)
		c.expect(`["2","4","room:d","phx_reply",{"response":{"event":"what","reason":"unknown_event"},"status":"error"}]`)
	})
}

// Presence: keys and state follow joins and leaves.
func TestDemoPresence(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		a := dial(t, srv, "vsn=2.0.0")
		b := dial(t, srv, "vsn=2.0.0")
		a.send(`["1","1","chat:p","phx_join",{"user":"ann"}]`)
		a.recv()
		a.recv()
		a.recv()
		b.send(`["1","1","chat:p","phx_join",{"user":"bob"}]`)
		b.recv()
		b.recv()
		if st := b.recv(); !contains(st, `"presence_state"`, `"ann":{"metas":[`, `"bob":{"metas":[`) {
			t.Fatalf("presence_state %s", st)
		}
		if keys := srv.PresenceKeys("chat:p"); strings.Join(keys, ",") != "ann,bob" {
			t.Fatalf("keys %v", keys)
		}
		a.recv() // bob's join diff
		b.send(`["1","2","chat:p","phx_leave",{}]`)
		b.expect(`["1","2","chat:p","phx_reply",{"response":{},"status":"ok"}]`, `["1","1","chat:p","phx_close",{}]`)
		if f := a.recv(); !contains(f, `"joins":{}`, `"leaves":{"bob":`) {
			t.Fatalf("leave diff %s", f)
		}
		b.quiet(time.Second) // its own leave diff goes to the others only
		if st := srv.PresenceState("chat:p").String(); !contains(st, `"ann"`) || contains(st, `"bob"`) {
			t.Fatalf("presence state %s", st)
		}
		ch := srv.Channels("chat:p")[0]
		if !ch.Joined() || ch.Conn() != srv.Conns()[0] || ch.Server() != srv || ch.JoinRef() != "1" || ch.Params().Get("vsn") != "2.0.0" {
			t.Fatalf("channel socket accessors: %v %v %v %q", ch.Joined(), ch.Conn(), ch.Server(), ch.JoinRef())
		}
	})
}
