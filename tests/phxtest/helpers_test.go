package phxtest

import (
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// waitFor bounds how long a test client waits for a frame (fake time inside
// a synctest bubble).
const waitFor = 90 * time.Second

// tclient is a plain websocket client for tests: it reads in the background
// so a test can also assert that nothing arrives.
type tclient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan string
	ended  chan struct{}
	code   int // close code received, 1006 when the connection ended without one
}

// dial connects to srv with query (e.g. "vsn=2.0.0&token=good").
func dial(t *testing.T, srv *Server, query string) *tclient {
	t.Helper()
	c, resp, err := tryDial(srv, query)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %q: %v (HTTP %d)", query, err, status)
	}
	c.t = t
	t.Cleanup(c.closeNow)
	return c
}

func tryDial(srv *Server, query string, protocols ...string) (*tclient, *http.Response, error) {
	d := srv.Dialer()
	d.Subprotocols = protocols
	ws, resp, err := d.Dial(srv.URL()+"/websocket?"+query, nil)
	if err != nil {
		return nil, resp, err
	}
	c := &tclient{ws: ws, frames: make(chan string, 1<<16), ended: make(chan struct{})}
	go c.read()
	return c, resp, nil
}

func (c *tclient) read() {
	defer close(c.ended)
	for {
		op, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.code = ce.Code
			} else {
				c.code = websocket.CloseAbnormalClosure
			}
			_ = c.ws.NetConn().Close()
			return
		}
		if op == websocket.BinaryMessage {
			c.frames <- "bin:" + hex.EncodeToString(data)
		} else {
			c.frames <- string(data)
		}
	}
}

func (c *tclient) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("send %s: %v", frame, err)
	}
}

func (c *tclient) sendBinary(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatalf("send binary: %v", err)
	}
}

// recv returns the next frame ("bin:<hex>" for a binary one).
func (c *tclient) recv() string {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.ended:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.t.Fatalf("connection ended (close %d) while waiting for a frame", c.code)
	case <-time.After(waitFor):
		c.t.Fatalf("no frame within %v", waitFor)
	}
	return ""
}

// expect checks the next frames, in order.
func (c *tclient) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.recv(); got != w {
			c.t.Fatalf("frame:\n got  %s\n want %s", got, w)
		}
	}
}

// quiet checks that nothing arrives for d.
func (c *tclient) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		c.t.Fatalf("unexpected frame %s", f)
	case <-time.After(d):
	}
}

// expectEnd waits for the connection to end and checks the close code
// (1006: no close frame).
func (c *tclient) expectEnd(code int) {
	c.t.Helper()
	select {
	case <-c.ended:
	case <-time.After(waitFor):
		c.t.Fatalf("connection still open after %v", waitFor)
	}
	if c.code != code {
		c.t.Fatalf("connection ended with %d, want %d", c.code, code)
	}
}

// closeNow closes the client's side, with a close frame, and waits for its
// reader.
func (c *tclient) closeNow() {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-c.ended:
	case <-time.After(waitFor):
	}
	_ = c.ws.NetConn().Close()
	<-c.ended
}
