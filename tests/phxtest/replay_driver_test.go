package phxtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// replayCase configures the server a transcript is replayed against, as the
// real server was for it.
type replayCase struct {
	opts  []Option
	setup func(t *testing.T, srv *Server) // before the scenario starts
}

// serverCloseSlack is how far a server-initiated close may be from the
// transcript's time (timings are otherwise ignored).
const serverCloseSlack = time.Second

// client is one connection of a replay.
type client struct {
	name string
	ws   *websocket.Conn
	ser  protocol.Serializer

	mu        sync.Mutex
	got       []*wireFrame
	closeCode int // 0 while open; the close code received, or 1006 without a close frame
	closedAt  time.Duration
	ended     chan struct{}

	dropped    bool // the script closed its TCP connection itself
	closeSent  bool // the script sent a close frame
	wantClose  *closeDetail
	wantAbort  bool // the transcript saw no close frame (read_error 1006)
	wantCloseT time.Duration
}

// replay runs one scenario.
type replay struct {
	t       *testing.T
	name    string
	srv     *Server
	start   time.Time
	clients map[string]*client
	order   []string
	streams map[string]*stream
	m       *matcher
}

// runReplay replays transcript name against a pipe server inside a
// synctest bubble: every "out" frame is sent on its connection at its time
// (fake clock), connects, closes, TCP drops, admin HTTP calls and server
// restarts are performed in order, and what each connection receives is
// compared, in order, with the transcript's "in" frames, close codes and
// HTTP statuses.
func runReplay(t *testing.T, name string) {
	t.Helper()
	rc, ok := replayCases[name]
	if !ok {
		t.Fatalf("no replay case for transcript %q", name)
	}
	entries, err := loadTranscript(name)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		opts := append([]Option{WithDemoApp(), RequireToken("good")}, rc.opts...)
		srv := NewPipeServer(opts...)
		defer srv.Close()
		if rc.setup != nil {
			rc.setup(t, srv)
		}
		r := &replay{t: t, name: name, srv: srv, start: time.Now(), clients: map[string]*client{}, streams: map[string]*stream{}, m: newMatcher()}
		for _, e := range entries {
			r.step(e)
		}
		r.finish()
	})
}

func (r *replay) elapsed() time.Duration { return time.Since(r.start) }

// sleepUntil advances the fake clock to d after the start (never back).
func (r *replay) sleepUntil(d time.Duration) {
	if wait := d - r.elapsed(); wait > 0 {
		time.Sleep(wait)
	}
}

func (r *replay) stream(name string) *stream {
	s := r.streams[name]
	if s == nil {
		s = newStream(name)
		r.streams[name] = s
	}
	return s
}

func (r *replay) client(e entry) *client {
	c := r.clients[e.Conn]
	if c == nil {
		r.t.Fatalf("line %d: conn %q used before it connected", e.Line, e.Conn)
	}
	return c
}

func (r *replay) step(e entry) {
	t := r.t
	switch {
	case e.Dir == "out":
		r.sleepUntil(e.at())
		r.send(e)
	case e.Dir == "in":
		data, bin, err := e.data()
		if err != nil {
			t.Fatal(err)
		}
		s := r.stream(e.Conn)
		s.exp = append(s.exp, newWireFrame(data, bin, e.Line))
	case e.Event == "connect":
		r.sleepUntil(e.at())
		r.connect(e)
	case e.Event == "handshake_failed":
		r.sleepUntil(e.at())
		r.handshakeFails(e)
	case e.Event == "close_sent":
		r.sleepUntil(e.at())
		var d closeDetail
		must(t, e.detail(&d))
		c := r.client(e)
		c.closeSent = true
		if err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(d.Code, ""), time.Now().Add(time.Second)); err != nil {
			t.Errorf("line %d: conn %q: sending close: %v", e.Line, e.Conn, err)
		}
	case e.Event == "close_frame":
		var d closeDetail
		must(t, e.detail(&d))
		c := r.client(e)
		c.wantClose, c.wantCloseT = &d, e.at()
	case e.Event == "read_error":
		c := r.client(e)
		if !c.dropped {
			c.wantAbort, c.wantCloseT = true, e.at()
		}
	case e.Event == "tcp_close":
		r.sleepUntil(e.at())
		c := r.client(e)
		c.dropped = true
		_ = c.ws.NetConn().Close()
	case e.Event == "http":
		r.sleepUntil(e.at())
		r.http(e)
	case e.Event == "shell":
		var d shellDetail
		must(t, e.detail(&d))
		r.sleepUntil(e.at() - time.Duration(d.TookMS*float64(time.Millisecond)))
		r.shell(e, d)
	case e.Event == "note":
	default:
		t.Fatalf("line %d: unknown entry %+v", e.Line, e)
	}
}

// idRE finds the generated message ids a client sends back.
var idRE = regexp.MustCompile(`"(id|last_id)":"(\d+)"`)

func (r *replay) send(e entry) {
	c := r.client(e)
	data, bin, err := e.data()
	must(r.t, err)
	s := r.stream(e.Conn)
	s.got = c.received()
	r.report(s.align(r.m, false))
	if !bin {
		// The client echoes ids the server generated: use this server's.
		data = idRE.ReplaceAllFunc(data, func(m []byte) []byte {
			sub := idRE.FindSubmatch(m)
			if v, ok := r.m.actual("id", string(sub[2])); ok {
				return []byte(`"` + string(sub[1]) + `":"` + v + `"`)
			}
			return m
		})
	}
	if f, err := c.ser.DecodeClient(data, bin); err == nil && f.Event == protocol.EventJoin {
		s.joinsSent[f.Topic+"\x00"+f.Ref] = true
	}
	op := websocket.TextMessage
	if bin {
		op = websocket.BinaryMessage
	}
	if err := c.ws.WriteMessage(op, data); err != nil {
		r.t.Errorf("line %d: conn %q: write: %v", e.Line, e.Conn, err)
	}
}

// wsURL points a transcript URL at the replay server.
func (r *replay) wsURL(raw string) string {
	u, err := url.Parse(raw)
	must(r.t, err)
	u.Host = r.srv.Addr()
	return u.String()
}

func (r *replay) connect(e entry) {
	var d connectDetail
	must(r.t, e.detail(&d))
	ws, resp, err := r.srv.Dialer().Dial(r.wsURL(d.URL), nil)
	if err != nil {
		r.t.Fatalf("line %d: conn %q: connect: %v", e.Line, e.Conn, err)
	}
	if resp.StatusCode != d.Status {
		r.t.Errorf("line %d: conn %q: status %d, transcript %d", e.Line, e.Conn, resp.StatusCode, d.Status)
	}
	u, _ := url.Parse(d.URL)
	ser, _ := serializerFor(u.Query())
	c := &client{name: e.Conn, ws: ws, ser: ser, ended: make(chan struct{})}
	r.clients[e.Conn] = c
	r.order = append(r.order, e.Conn)
	r.stream(e.Conn)
	go c.read(r.start)
}

// read collects what the server sends until the connection ends.
func (c *client) read(start time.Time) {
	defer close(c.ended)
	for {
		op, data, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closedAt = time.Since(start)
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode = ce.Code
			} else {
				c.closeCode = websocket.CloseAbnormalClosure
			}
			c.mu.Unlock()
			_ = c.ws.NetConn().Close()
			return
		}
		c.mu.Lock()
		c.got = append(c.got, newWireFrame(data, op == websocket.BinaryMessage, 0))
		c.mu.Unlock()
	}
}

func (c *client) received() []*wireFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*wireFrame(nil), c.got...)
}

func (r *replay) handshakeFails(e entry) {
	var d handshakeDetail
	must(r.t, e.detail(&d))
	ws, resp, err := r.srv.Dialer().Dial(r.wsURL(d.URL), nil)
	if err == nil {
		_ = ws.Close()
		r.t.Errorf("line %d: conn %q: handshake succeeded; the transcript has it fail: %s", e.Line, e.Conn, d.Error)
		return
	}
	if strings.Contains(d.Error, "connection refused") {
		if !errors.Is(err, syscall.ECONNREFUSED) {
			r.t.Errorf("line %d: conn %q: dial error %v, want connection refused", e.Line, e.Conn, err)
		}
		return
	}
	if resp == nil {
		r.t.Errorf("line %d: conn %q: dial error %v, want HTTP %d", e.Line, e.Conn, err, d.Status)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != d.Status || string(body) != d.Body {
		r.t.Errorf("line %d: conn %q: handshake answered %d %q, transcript %d %q", e.Line, e.Conn, resp.StatusCode, body, d.Status, d.Body)
	}
}

func (r *replay) http(e entry) {
	var d httpDetail
	must(r.t, e.detail(&d))
	req, err := http.NewRequestWithContext(context.Background(), d.Method, r.srv.HTTPURL()+d.Path, nil)
	must(r.t, err)
	// A plain client, as the capture's (no "Connection: close" header).
	tr := &http.Transport{DialContext: r.srv.DialContext}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		r.t.Errorf("line %d: %s %s: %v", e.Line, d.Method, d.Path, err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != d.Status || !equalJSONText(d.Body, string(body)) {
		r.t.Errorf("line %d: %s %s answered %d %q, transcript %d %q", e.Line, d.Method, d.Path, resp.StatusCode, body, d.Status, d.Body)
	}
}

func (r *replay) shell(e entry, d shellDetail) {
	switch {
	case strings.HasPrefix(d.Cmd, "server stop (SIGTERM)"):
		r.srv.Stop(Graceful)
	case strings.HasPrefix(d.Cmd, "server stop (SIGKILL)"):
		r.srv.Stop(Kill)
	case strings.HasPrefix(d.Cmd, "server start"):
		must(r.t, r.srv.Start())
	default:
		r.t.Fatalf("line %d: unknown shell command %q", e.Line, d.Cmd)
	}
}

// finish waits for every connection to end and compares what each received
// and how it ended with the transcript.
func (r *replay) finish() {
	for _, name := range r.order {
		c := r.clients[name]
		select {
		case <-c.ended:
		case <-time.After(2 * time.Minute):
			r.t.Errorf("conn %q: still open 2 minutes after the scenario ended", name)
			_ = c.ws.NetConn().Close()
			<-c.ended
		}
	}
	for _, name := range r.order {
		c := r.clients[name]
		s := r.stream(name)
		s.got = c.received()
		r.report(s.align(r.m, true))
		for _, n := range s.notes {
			r.t.Log(n)
		}
		if !s.failed && len(s.exp) > 0 && s.i != len(s.exp) {
			r.t.Errorf("conn %q: only %d of %d expected frames compared", name, s.i, len(s.exp))
		}
		r.checkClose(c)
	}
}

func (r *replay) checkClose(c *client) {
	switch {
	case c.dropped:
	case c.wantClose != nil:
		if c.closeCode != c.wantClose.Code {
			r.t.Errorf("conn %q: closed with %d, transcript %d", c.name, c.closeCode, c.wantClose.Code)
		}
		if !c.closeSent {
			if d := c.closedAt - c.wantCloseT; d > serverCloseSlack || d < -serverCloseSlack {
				r.t.Errorf("conn %q: server closed it at %v, transcript at %v", c.name, c.closedAt, c.wantCloseT)
			}
		}
	case c.wantAbort:
		if c.closeCode != websocket.CloseAbnormalClosure {
			r.t.Errorf("conn %q: ended with close %d, transcript: no close frame (1006)", c.name, c.closeCode)
		}
	default:
		r.t.Errorf("conn %q: the transcript does not say how it ended", c.name)
	}
}

func (r *replay) report(problems []string) {
	for _, p := range problems {
		r.t.Error(p)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
