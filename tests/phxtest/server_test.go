package phxtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// spec: W1 (the loopback TCP server: ws://127.0.0.1:PORT/socket)
func TestServerTCP(t *testing.T) {
	srv := NewServer(WithDemoApp())
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "ws://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/socket") {
		t.Fatalf("URL %q", srv.URL())
	}
	if srv.HTTPURL() != "http://"+srv.Addr() || !strings.Contains(srv.String(), "tcp") {
		t.Fatalf("HTTPURL %q, String %q", srv.HTTPURL(), srv.String())
	}
	ws, _, err := websocket.DefaultDialer.Dial(srv.URL()+"/websocket?vsn=2.0.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &tclient{t: t, ws: ws, frames: make(chan string, 1024), ended: make(chan struct{})}
	go c.read()
	defer c.closeNow()
	c.send(`["1","1","chat:tcp","phx_join",{}]`)
	c.expect(`["1","1","chat:tcp","phx_reply",{"response":{"messages":[]},"status":"ok"}]`)
	c.send(`["1","2","chat:tcp","new_msg",{"body":"hi"}]`)
	if f := c.recv(); !contains(f, `"new_msg"`, `"body":"hi"`) {
		t.Fatalf("broadcast %s", f)
	}
	c.expect(`["1","2","chat:tcp","phx_reply",{"response":{},"status":"ok"}]`)
	if err := srv.WaitJoined(context.Background(), "chat:tcp", 1); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Conns != 1 || st.Channels != 1 || st.FramesIn != 2 || st.Broadcasts != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A TCP server can be restarted on the same address.
func TestServerTCPRestart(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	addr := srv.Addr()
	srv.Stop(Kill)
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("dial succeeded while stopped")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Fatalf("restarted on %s, was %s", srv.Addr(), addr)
	}
	ws, _, err := srv.Dialer().Dial(srv.URL()+"/websocket?vsn=2.0.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.Close()
}

func TestListenErrors(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	if _, err := Listen(srv.Addr()); err == nil {
		t.Fatal("Listen on a busy address succeeded")
	}
	for name, opt := range map[string]Option{
		"max channels": WithMaxChannels(0),
		"idle":         WithIdleTimeout(-time.Second),
		"profile":      WithProfile(Profile(9)),
		"pattern":      WithChannel("a*b", func() Channel { return ChannelFuncs{} }),
		"factory":      WithChannel("a:*", nil),
		"logger":       WithLogger(nil),
	} {
		if _, err := Listen("127.0.0.1:0", opt); !errors.Is(err, ErrBadOption) {
			t.Errorf("%s: %v, want ErrBadOption", name, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewPipeServer with a bad option did not panic")
		}
	}()
	NewPipeServer(WithMaxChannels(-1))
}

// spec: W1, W1a, W5 (connect checks: vsn, token param or auth subprotocol)
func TestHandshake(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		status := func(query string, protocols ...string) int {
			c, resp, err := tryDial(srv, query, protocols...)
			if err == nil {
				c.t = t
				c.closeNow()
				return http.StatusSwitchingProtocols
			}
			if resp == nil {
				t.Fatalf("dial %q: %v", query, err)
			}
			if b, _ := io.ReadAll(resp.Body); len(b) != 0 {
				t.Errorf("dial %q: body %q, want empty", query, b)
			}
			return resp.StatusCode
		}
		for _, tc := range []struct {
			query     string
			protocols []string
			want      int
		}{
			{"token=good&vsn=2.0.0", nil, 101},
			{"token=good&vsn=2.0.1", nil, 101},
			{"token=good&vsn=1.0.0", nil, 101},
			{"token=good", nil, 101},
			{"token=good&vsn=3.0.0", nil, 403},
			{"token=bad&vsn=2.0.0", nil, 403},
			{"vsn=2.0.0", nil, 403},
			{"vsn=2.0.0", protocol.AuthProtocols("good"), 101},
			{"vsn=2.0.0", protocol.AuthProtocols("bad"), 403},
		} {
			if got := status(tc.query, tc.protocols...); got != tc.want {
				t.Errorf("connect %q %v: %d, want %d", tc.query, tc.protocols, got, tc.want)
			}
		}
		c, _, err := tryDial(srv, "vsn=2.0.0", protocol.AuthProtocols("good")...)
		if err != nil {
			t.Fatal(err)
		}
		c.t = t
		defer c.closeNow()
		if c.ws.Subprotocol() != "phoenix" {
			t.Errorf("subprotocol %q, want phoenix", c.ws.Subprotocol())
		}
		conn := srv.Conns()[0]
		if conn.Token() != "good" || conn.ID() != "user_socket:good" || conn.Serializer() != protocol.V2 {
			t.Errorf("conn token %q id %q vsn %v", conn.Token(), conn.ID(), conn.Serializer())
		}
	}, RequireToken("good"))
}

// WithSocketID replaces the default socket id.
func TestSocketID(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0&user=7")
		if id := srv.Conns()[0].ID(); id != "users:7" {
			t.Fatalf("id %q", id)
		}
		srv.Disconnect("users:7")
		c.expectEnd(websocket.CloseNormalClosure)
	}, WithSocketID(func(p url.Values, _ string) string { return "users:" + p.Get("user") }))
}

// spec: W3 (the per-socket channel cap, default 100; a leave frees a slot)
func TestMaxChannelsDefault(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0")
		for i := 1; i <= DefaultMaxChannels; i++ {
			c.send(`["` + strconv.Itoa(i) + `","` + strconv.Itoa(i) + `","room:` + strconv.Itoa(i) + `","phx_join",{}]`)
			c.recv()
		}
		c.send(`["x","x","room:x","phx_join",{}]`)
		c.expect(`["x","x","room:x","phx_reply",{"response":{"reason":"too many channels joined"},"status":"error"}]`)
		c.send(`["1","l","room:1","phx_leave",{}]`)
		c.expect(`["1","l","room:1","phx_reply",{"response":{},"status":"ok"}]`, `["1","1","room:1","phx_close",{}]`)
		c.send(`["y","y","room:y","phx_join",{}]`)
		c.expect(`["y","y","room:y","phx_reply",{"response":{},"status":"ok"}]`)
	})
}

// The admin endpoints drive a server over HTTP.
func TestAdminEndpoints(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=2.0.0&token=x")
		c.send(`["1","1","chat:adm","phx_join",{}]`)
		c.recv()
		post := func(path string, wantStatus int) map[string]any {
			t.Helper()
			resp, err := srv.Client().Post(srv.HTTPURL()+path, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			if resp.StatusCode != wantStatus {
				t.Fatalf("POST %s: %d %v, want %d", path, resp.StatusCode, v, wantStatus)
			}
			return v
		}
		post("/admin/broadcast?topic=chat:adm&event=ev&n=2", 200)
		c.expect(`[null,null,"chat:adm","ev",{"i":1}]`, `[null,null,"chat:adm","ev",{"i":2}]`)
		post("/admin/broadcast?topic=chat:adm&event=ev&payload=%5B1%5D", 200)
		c.expect(`[null,null,"chat:adm","ev",[1]]`)
		post("/admin/broadcast?topic=chat:adm&event=ev&payload=%5B", 400)
		post("/admin/broadcast?topic=chat:adm", 400)
		post("/admin/broadcast?topic=chat:adm&event=e&n=x", 400)
		c.send(`["1","2","chat:adm","new_msg",{"body":"m"}]`)
		c.recv()
		c.recv()
		post("/admin/reset", 200)
		if h := srv.Demo().History("chat:adm"); len(h) != 0 {
			t.Fatalf("history after reset: %v", h)
		}
		post("/admin/stall?on=true", 200)
		c.send(hb)
		c.quiet(time.Second)
		post("/admin/stall?on=false", 200)
		post("/admin/stall?on=maybe", 400)
		if v := post("/admin/crash?topic=chat:adm", 200); v["crashed"] != float64(1) {
			t.Fatalf("crash answered %v", v)
		}
		c.expect(`["1","1","chat:adm","phx_error",{}]`)
		resp, err := srv.Client().Get(srv.HTTPURL() + "/admin/stats")
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		_ = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.Conns != 1 || st.Broadcasts < 3 {
			t.Fatalf("stats %+v", st)
		}
		post("/admin/disconnect", 400)
		if v := post("/admin/disconnect?token=x", 200); v["disconnected"] != "user_socket:x" {
			t.Fatalf("disconnect answered %v", v)
		}
		c.expectEnd(websocket.CloseNormalClosure)
	})
}

// spec: W6 (a V1 socket: object frames, no join_ref written, binary refused)
func TestVsn1(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		c := dial(t, srv, "vsn=1.0.0")
		c.send(`{"topic":"chat:v1","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}`)
		c.expect(`{"topic":"chat:v1","event":"phx_reply","payload":{"response":{"messages":[]},"status":"ok"},"ref":"1"}`)
		c.send(`{"topic":"chat:v1","event":"push_n","payload":{"n":1},"ref":"2"}`)
		c.expect(`{"topic":"chat:v1","event":"tick","payload":{"i":1},"ref":null}`,
			`{"topic":"chat:v1","event":"phx_reply","payload":{"response":{"n":1},"status":"ok"},"ref":"2"}`)
		// A binary broadcast cannot reach a V1 socket; a binary reply is dropped.
		c.send(`{"topic":"chat:v1","event":"broadcast_binary","payload":{"data":"x"},"ref":"3"}`)
		c.expect(`{"topic":"chat:v1","event":"phx_reply","payload":{"response":{},"status":"ok"},"ref":"3"}`)
		c.sendBinary([]byte{0, 0, 0, 0, 0})
		c.expectEnd(websocket.CloseInternalServerErr)
	})
}
