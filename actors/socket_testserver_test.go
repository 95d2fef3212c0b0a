package actors

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// wsServer is a small Phoenix-protocol server over net.Pipe, for the socket
// tests: real websocket frames (gorilla's server side), heartbeat replies,
// join/leave replies with a channel cap, and fault injection (refuse the
// upgrade, stall heartbeats, close with a code, drop without a close frame,
// write raw frames). It runs inside a synctest bubble.
type wsServer struct {
	t testing.TB

	mu         sync.Mutex
	refuse     int  // HTTP status refusing upgrades; 0 accepts
	hang       bool // never answer the upgrade (dial timeout)
	stallHB    bool // do not answer heartbeats
	maxJoins   int  // channels a connection may join; 0 = unlimited
	conns      []*srvConn
	dials      int
	dialTimes  []time.Time
	lastReq    *http.Request
	hangConns  []net.Conn
	connected  chan *srvConn
	wg         sync.WaitGroup
	onFrame    func(sc *srvConn, f protocol.Frame) bool // true: handled
	heartbeats []hbRec
}

// srvConn is the server end of one client connection.
type srvConn struct {
	s      *wsServer
	ws     *websocket.Conn
	raw    net.Conn
	wmu    sync.Mutex
	in     chan protocol.Frame // frames the client sent (besides heartbeats)
	closed chan struct{}
	joined map[string]string // topic -> join_ref
	code   int               // close code the client sent, 0 if none
	at     time.Time         // when the upgrade completed
}

func newWSServer(t testing.TB) *wsServer {
	s := &wsServer{t: t, connected: make(chan *srvConn, 64)}
	t.Cleanup(s.stop)
	return s
}

// dial is an EndpointConfig.NetDialContext: a pipe served by s.
func (s *wsServer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	c, srv := net.Pipe()
	s.mu.Lock()
	s.dials++
	s.dialTimes = append(s.dialTimes, time.Now())
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.serve(srv)
	}()
	return c, nil
}

func (s *wsServer) stop() {
	s.mu.Lock()
	conns := append([]*srvConn(nil), s.conns...)
	hang := s.hangConns
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.raw.Close()
	}
	for _, c := range hang {
		_ = c.Close()
	}
	s.wg.Wait()
}

func (s *wsServer) set(f func(s *wsServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *wsServer) dialCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// hijackWriter is the http.ResponseWriter gorilla's Upgrader needs.
type hijackWriter struct {
	conn   net.Conn
	brw    *bufio.ReadWriter
	header http.Header
	status int
}

func (w *hijackWriter) Header() http.Header         { return w.header }
func (w *hijackWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *hijackWriter) WriteHeader(code int) {
	w.status = code
	_, _ = w.brw.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\nContent-Length: 0\r\n\r\n")
	_ = w.brw.Flush()
}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.conn, w.brw, nil }

func (s *wsServer) serve(raw net.Conn) {
	brw := bufio.NewReadWriter(bufio.NewReader(raw), bufio.NewWriter(raw))
	req, err := http.ReadRequest(brw.Reader)
	if err != nil {
		_ = raw.Close()
		return
	}
	s.mu.Lock()
	s.lastReq = req
	refuse, hang := s.refuse, s.hang
	if hang {
		s.hangConns = append(s.hangConns, raw)
	}
	s.mu.Unlock()
	if hang {
		return // the client's dial times out; stop() closes raw
	}
	w := &hijackWriter{conn: raw, brw: brw, header: make(http.Header)}
	if refuse != 0 {
		w.WriteHeader(refuse)
		_ = raw.Close()
		return
	}
	up := websocket.Upgrader{Subprotocols: []string{"phoenix"}}
	ws, err := up.Upgrade(w, req, nil)
	if err != nil {
		_ = raw.Close()
		return
	}
	sc := &srvConn{s: s, ws: ws, raw: raw, in: make(chan protocol.Frame, 4096),
		closed: make(chan struct{}), joined: make(map[string]string), at: time.Now()}
	s.mu.Lock()
	s.conns = append(s.conns, sc)
	s.mu.Unlock()
	s.connected <- sc
	sc.readLoop()
}

func (sc *srvConn) readLoop() {
	defer close(sc.closed)
	defer sc.raw.Close()
	for {
		mt, data, err := sc.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				sc.code = ce.Code
			}
			return
		}
		f, err := protocol.V2.DecodeClient(data, mt == websocket.BinaryMessage)
		if err != nil {
			sc.s.t.Errorf("server: client sent a malformed frame: %v", err)
			continue
		}
		f.Payload = append([]byte(nil), f.Payload...)
		sc.handle(f)
	}
}

func (sc *srvConn) handle(f protocol.Frame) {
	s := sc.s
	s.mu.Lock()
	stall, maxJoins, hook := s.stallHB, s.maxJoins, s.onFrame
	s.mu.Unlock()
	if f.Topic == protocol.TopicPhoenix && f.Event == protocol.EventHeartbeat {
		s.mu.Lock()
		s.heartbeats = append(s.heartbeats, hbRec{at: time.Now(), frame: f, conn: sc})
		s.mu.Unlock()
		if !stall {
			sc.reply(f, "ok", `{}`)
		}
		return
	}
	if hook != nil && hook(sc, f) {
		return
	}
	switch f.Event {
	case protocol.EventJoin:
		if maxJoins > 0 && len(sc.joined) >= maxJoins {
			sc.reply(f, "error", `{"reason":"too many channels joined"}`)
			break
		}
		sc.joined[f.Topic] = f.JoinRef
		sc.reply(f, "ok", `{}`)
	case protocol.EventLeave:
		delete(sc.joined, f.Topic)
		sc.reply(f, "ok", `{}`)
		sc.send(protocol.Frame{JoinRef: f.JoinRef, Ref: f.JoinRef, Topic: f.Topic, Event: protocol.EventClose, Payload: []byte(`{}`)})
	}
	select {
	case sc.in <- f:
	default:
	}
}

func (sc *srvConn) reply(to protocol.Frame, status, response string) {
	sc.send(protocol.Frame{JoinRef: to.JoinRef, Ref: to.Ref, Topic: to.Topic, Event: protocol.EventReply,
		Payload: []byte(`{"status":"` + status + `","response":` + response + `}`)})
}

// send writes f as a vsn 2.0.0 text frame.
func (sc *srvConn) send(f protocol.Frame) {
	sc.sendRaw(websocket.TextMessage, protocol.AppendText(nil, &f))
}

// sendRaw writes one websocket message as it is.
func (sc *srvConn) sendRaw(mt int, data []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_ = sc.ws.WriteMessage(mt, data)
}

// closeWith sends a close frame with code and drops the connection.
func (sc *srvConn) closeWith(code int) {
	sc.wmu.Lock()
	_ = sc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	sc.wmu.Unlock()
	_ = sc.raw.Close()
}

// kill drops the connection without a close frame (server killed).
func (sc *srvConn) kill() { _ = sc.raw.Close() }

// next returns the next frame the client sent (heartbeats excluded).
func (sc *srvConn) next(t testing.TB) protocol.Frame {
	t.Helper()
	select {
	case f := <-sc.in:
		return f
	case <-time.After(time.Minute):
		t.Fatal("server: no frame from the client")
		return protocol.Frame{}
	}
}

// accept returns the next connection the server accepted.
func (s *wsServer) accept(t testing.TB) *srvConn {
	t.Helper()
	select {
	case sc := <-s.connected:
		return sc
	case <-time.After(time.Hour):
		t.Fatal("server: no connection")
		return nil
	}
}

// hbRec is a heartbeat the server received.
type hbRec struct {
	at    time.Time
	frame protocol.Frame
	conn  *srvConn
}

func (s *wsServer) heartbeatLog() []hbRec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hbRec(nil), s.heartbeats...)
}
