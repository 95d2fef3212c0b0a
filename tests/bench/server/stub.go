package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/rvct/phoenix/protocol"
)

// stub is a minimal Phoenix-protocol endpoint: heartbeat, phx_join and
// phx_leave on room:* and chat:*, echo (reply ok with the payload) and
// flood ({"n":N,"size":B}: N broadcasts "flood" {"i":k,"body":"<B bytes>"},
// then an ok reply). No channel cap. One reader and one coalescing writer
// per connection.
type stub struct{ up websocket.Upgrader }

func newStub() *stub {
	return &stub{up: websocket.Upgrader{
		ReadBufferSize:  16 << 10,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(*http.Request) bool { return true },
	}}
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/socket/websocket" {
		http.NotFound(w, r)
		return
	}
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &stubConn{ws: conn, joined: map[string]string{}}
	c.cond = sync.NewCond(&c.mu)
	go c.writeLoop()
	c.readLoop()
}

type stubConn struct {
	ws     *websocket.Conn
	joined map[string]string // topic -> join_ref

	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	closed bool
}

func (c *stubConn) send(b []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	c.cond.Signal()
}

func (c *stubConn) writeLoop() {
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		q := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, b := range q {
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close()
				return
			}
		}
	}
}

func (c *stubConn) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cond.Signal()
	_ = c.ws.Close()
}

func (c *stubConn) reply(f *protocol.Frame, status string, response []byte) {
	out := protocol.Frame{JoinRef: f.JoinRef, Ref: f.Ref, Topic: f.Topic, Event: protocol.EventReply,
		Payload: protocol.AppendReplyPayload(nil, status, response)}
	c.send(protocol.AppendText(nil, &out))
}

func (c *stubConn) readLoop() {
	defer c.close()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		f, err := protocol.DecodeText(data)
		if err != nil {
			return // Phoenix closes the transport on a malformed frame
		}
		c.handle(&f)
	}
}

func (c *stubConn) handle(f *protocol.Frame) {
	if f.Topic == "phoenix" && f.Event == "heartbeat" {
		c.reply(f, "ok", []byte("{}"))
		return
	}
	routed := strings.HasPrefix(f.Topic, "room:") || strings.HasPrefix(f.Topic, "chat:")
	switch f.Event {
	case protocol.EventJoin:
		if !routed {
			c.reply(f, "error", []byte(`{"reason":"unmatched topic"}`))
			return
		}
		c.joined[f.Topic] = f.Ref
		c.reply(f, "ok", []byte("{}"))
		return
	case protocol.EventLeave:
		jr := c.joined[f.Topic]
		delete(c.joined, f.Topic)
		c.reply(f, "ok", []byte("{}"))
		if jr != "" {
			cl := protocol.Frame{JoinRef: jr, Ref: jr, Topic: f.Topic, Event: protocol.EventClose, Payload: []byte("{}")}
			c.send(protocol.AppendText(nil, &cl))
		}
		return
	}
	jr, ok := c.joined[f.Topic]
	if !ok {
		c.reply(f, "error", []byte(`{"reason":"unmatched topic"}`))
		return
	}
	f.JoinRef = jr
	switch f.Event {
	case "echo":
		c.reply(f, "ok", f.Payload)
	case "flood":
		n, size := floodArgs(f.Payload)
		body := strings.Repeat("x", size)
		for i := range n {
			p := `{"i":` + strconv.Itoa(i) + `,"body":"` + body + `"}`
			b := protocol.Frame{Topic: f.Topic, Event: "flood", Payload: []byte(p)}
			c.send(protocol.AppendText(nil, &b))
		}
		c.reply(f, "ok", []byte(`{"n":`+strconv.Itoa(n)+`}`))
	default:
		c.reply(f, "error", []byte(`{"reason":"unknown_event"}`))
	}
}

// floodArgs reads {"n":N,"size":B} without reflection-heavy decoding.
func floodArgs(p []byte) (n, size int) {
	sc := bufio.NewScanner(strings.NewReader(strings.NewReplacer("{", " ", "}", " ", ",", " ", ":", " ", `"`, " ").Replace(string(p))))
	sc.Split(bufio.ScanWords)
	var prev string
	for sc.Scan() {
		w := sc.Text()
		switch prev {
		case "n":
			n, _ = strconv.Atoi(w)
		case "size":
			size, _ = strconv.Atoi(w)
		}
		prev = w
	}
	return min(max(n, 0), 10_000_000), min(max(size, 0), 1<<20)
}
