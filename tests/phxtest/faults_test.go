package phxtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

const (
	joinRoom   = `["1","1","room:a","phx_join",{}]`
	joinedRoom = `["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]`
	hb         = `[null,"9","phoenix","heartbeat",{}]`
	hbReply    = `[null,"9","phoenix","phx_reply",{"response":{},"status":"ok"}]`
)

// pipeTest runs f in a synctest bubble with a pipe server made with opts.
func pipeTest(t *testing.T, f func(t *testing.T, srv *Server), opts ...Option) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewPipeServer(append([]Option{WithDemoApp()}, opts...)...)
		defer srv.Close()
		f(t, srv)
	})
}

// spec: K2 (a server that stops answering heartbeats, connection kept)
func TestStallHeartbeats(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		srv.StallHeartbeats(true)
		c.send(hb)
		c.quiet(30 * time.Second)
		c.send(`["1","2","room:a","echo",{"x":1}]`)
		c.expect(`["1","2","room:a","phx_reply",{"response":{"x":1},"status":"ok"}]`)
		srv.StallHeartbeats(false)
		c.send(hb)
		c.expect(hbReply)

		// Per connection: only the stalled one goes quiet.
		d := dial(t, srv, "vsn=2.0.0")
		srv.Conns()[0].StallHeartbeats(true)
		c.send(hb)
		d.send(hb)
		d.expect(hbReply)
		c.quiet(time.Minute - time.Second)
	})
}

// spec: A4 (a reply that comes late: the channel is busy meanwhile)
func TestSetReplyDelay(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		srv.SetReplyDelay("echo", 15*time.Second)
		start := time.Now()
		c.send(`["1","2","room:a","echo",{}]`)
		c.expect(`["1","2","room:a","phx_reply",{"response":{},"status":"ok"}]`)
		if d := time.Since(start); d != 15*time.Second {
			t.Fatalf("reply after %v, want 15s", d)
		}
		srv.SetReplyDelay("echo", 0)
		start = time.Now()
		c.send(`["1","3","room:a","echo",{}]`)
		c.expect(`["1","3","room:a","phx_reply",{"response":{},"status":"ok"}]`)
		if d := time.Since(start); d != 0 {
			t.Fatalf("reply after %v with the delay removed", d)
		}

		// A delayed join reply blocks the whole socket, as a slow join does.
		srv.SetReplyDelay("phx_join", 3*time.Second)
		start = time.Now()
		c.send(`["5","5","room:b","phx_join",{}]`)
		c.send(hb)
		c.expect(`["5","5","room:b","phx_reply",{"response":{},"status":"ok"}]`, hbReply)
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("join reply after %v, want 3s", d)
		}
	})
}

// spec: J3, A4 (replies that never come)
func TestWithholdReplies(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		srv.WithholdReplies("phx_join", true)
		c.send(joinRoom)
		c.quiet(30 * time.Second)
		if srv.JoinCount("room:a") != 1 {
			t.Fatalf("a withheld join still joins: JoinCount %d", srv.JoinCount("room:a"))
		}
		srv.WithholdReplies("phx_join", false)
		srv.WithholdReplies(AllEvents, true)
		c.send(`["1","2","room:a","echo",{}]`)
		c.quiet(30 * time.Second)
		c.send(hb) // heartbeats are not replies to events
		c.expect(hbReply)
		srv.WithholdReplies(AllEvents, false)
		c.send(`["1","3","room:a","echo",{}]`)
		c.expect(`["1","3","room:a","phx_reply",{"response":{},"status":"ok"}]`)
	})
}

// spec: L1 (a crashed channel: phx_error with ref = join_ref on every
// subscriber; the topic is no longer joined)
func TestCrashChannel(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		a := dial(t, srv, "vsn=2.0.0")
		b := dial(t, srv, "vsn=2.0.0")
		a.send(`["1","1","room:x","phx_join",{}]`)
		a.expect(`["1","1","room:x","phx_reply",{"response":{},"status":"ok"}]`)
		b.send(`["7","7","room:x","phx_join",{}]`)
		b.expect(`["7","7","room:x","phx_reply",{"response":{},"status":"ok"}]`)
		if n := srv.CrashChannel("room:x"); n != 2 {
			t.Fatalf("CrashChannel crashed %d channels, want 2", n)
		}
		a.expect(`["1","1","room:x","phx_error",{}]`)
		b.expect(`["7","7","room:x","phx_error",{}]`)
		a.send(`["1","2","room:x","echo",{}]`)
		a.expect(`[null,"2","room:x","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]`)
		synctest.Wait()
		if srv.JoinCount("room:x") != 0 {
			t.Fatalf("JoinCount %d after the crash", srv.JoinCount("room:x"))
		}
	})
}

// spec: K1 (refused connects: 403, and ECONNREFUSED at dial)
func TestRefuseConnects(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		kept := dial(t, srv, "vsn=2.0.0")
		must(t, srv.RefuseConnects(RefuseForbidden))
		_, resp, err := tryDial(srv, "vsn=2.0.0")
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial while refusing: %v %v, want 403", err, resp)
		}
		must(t, srv.RefuseConnects(RefuseDial))
		if _, _, err := tryDial(srv, "vsn=2.0.0"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial while refusing dials: %v, want ECONNREFUSED", err)
		}
		kept.send(hb)
		kept.expect(hbReply)
		must(t, srv.RefuseConnects(RefuseNone))
		c := dial(t, srv, "vsn=2.0.0")
		c.send(hb)
		c.expect(hbReply)
	})
}

// spec: K2a (a dropped connection: no close frame; the presence leaves)
func TestConnDrop(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		a := dial(t, srv, "vsn=2.0.0")
		b := dial(t, srv, "vsn=2.0.0")
		a.send(`["1","1","chat:d","phx_join",{"user":"a"}]`)
		a.recv()
		a.recv()
		a.recv()
		b.send(`["1","1","chat:d","phx_join",{}]`)
		b.recv()
		srv.Conns()[0].Drop()
		a.expectEnd(websocket.CloseAbnormalClosure)
		f := b.recv()
		if !contains(f, `"presence_diff"`, `"leaves":{"a":`) {
			t.Fatalf("b got %s, want a's presence leave", f)
		}
		if err := srv.WaitConns(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	})
}

// spec: K2a (a server close with a given code)
func TestConnClose(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		srv.Conns()[0].Close(4001, "bye")
		c.expectEnd(4001)
		synctest.Wait()
		if srv.ConnCount() != 0 || srv.ChannelCount() != 0 {
			t.Fatalf("after close: %d conns, %d channels", srv.ConnCount(), srv.ChannelCount())
		}
	})
}

// spec: K2a (Endpoint.broadcast disconnect: 1000 on 1.7, only the socket id)
func TestDisconnect(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		a := dial(t, srv, "vsn=2.0.0&token=alice")
		b := dial(t, srv, "vsn=2.0.0&token=bob")
		a.send(joinRoom)
		a.expect(joinedRoom)
		if n := srv.Disconnect("user_socket:alice"); n != 1 {
			t.Fatalf("Disconnect closed %d, want 1", n)
		}
		a.expectEnd(websocket.CloseNormalClosure)
		if len(a.frames) != 0 {
			t.Fatalf("a got %s before the close; Phoenix sends no phx_close", <-a.frames)
		}
		b.send(hb)
		b.expect(hbReply)
	})
}

// spec: K2a (graceful restart: 1012, refused while down, history gone)
func TestRestartGraceful(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["1","1","chat:r","phx_join",{}]`)
		c.recv()
		c.send(`["1","2","chat:r","new_msg",{"body":"before"}]`)
		c.recv()
		c.recv()
		srv.Stop(Graceful)
		c.expectEnd(websocket.CloseServiceRestart)
		if _, _, err := tryDial(srv, "vsn=2.0.0"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial while stopped: %v, want ECONNREFUSED", err)
		}
		must(t, srv.Start())
		d := dial(t, srv, "vsn=2.0.0")
		d.send(`["1","1","chat:r","phx_join",{}]`)
		d.expect(`["1","1","chat:r","phx_reply",{"response":{"messages":[]},"status":"ok"}]`)
	})
}

// spec: K2a (killed server: no close frame)
func TestRestartKill(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		must(t, srv.Restart(Kill))
		c.expectEnd(websocket.CloseAbnormalClosure)
		d := dial(t, srv, "vsn=2.0.0")
		d.send(hb)
		d.expect(hbReply)
	})
}

// spec: K9 (Shutdown drains with 1012 and closes the server)
func TestShutdown(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.expectEnd(websocket.CloseServiceRestart)
		if err := srv.Start(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Start after Shutdown: %v, want ErrClosed", err)
		}
	})
}

// spec: K2 (idle timeout is configurable; heartbeats keep a socket alive)
func TestIdleTimeout(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		for range 5 {
			time.Sleep(9 * time.Second)
			c.send(hb)
			c.expect(hbReply)
		}
		start := time.Now()
		c.expectEnd(websocket.CloseNormalClosure)
		if d := time.Since(start); d != 10*time.Second {
			t.Fatalf("closed %v after the last frame, want 10s", d)
		}
	}, WithIdleTimeout(10*time.Second))
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// spec: W6, K5 (frames no server should send, for client robustness tests)
func TestSendRaw(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		conn := srv.Conns()[0]
		must(t, conn.SendRaw([]byte("not json"), false))
		must(t, conn.SendRaw([]byte{7, 0}, true))
		c.expect("not json", "bin:0700")
		conn.Drop()
		c.expectEnd(websocket.CloseAbnormalClosure)
		synctest.Wait()
		if err := conn.SendRaw([]byte("x"), false); !errors.Is(err, ErrClosed) {
			t.Fatalf("SendRaw on a closed conn: %v", err)
		}
	})
}
