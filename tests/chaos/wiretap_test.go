package chaos

import (
	"bytes"
	"context"
	"net"
	"sync"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/internal/wstap"
)

// wiretap sees the frames of every connection the client dials through it:
// it parses the websocket stream both ways (the client's frames are masked)
// and hands each small text frame to its hook, at the moment the client
// writes or reads it (tests/internal/wstap).
type wiretap struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// hook gets each frame; sent is true for frames the client wrote.
	hook func(c *tapConn, sent bool, env protocol.Envelope)

	mu    sync.Mutex
	conns int
}

// dialContext dials with the wrapped dialer and taps the connection.
func (w *wiretap) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := w.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.conns++
	n := w.conns
	w.mu.Unlock()
	tc := &tapConn{w: w, num: n}
	return wstap.Tap(c, tc.frame, tc.end), nil // the upgrade request and response are skipped
}

// tapConn is one tapped connection, as its hook sees it.
type tapConn struct {
	w   *wiretap
	num int // the connection's number, counted from 1 by its wiretap
}

func (c *tapConn) frame(sent bool, p []byte) {
	env, err := protocol.SplitText(p)
	if err == nil && c.w.hook != nil {
		c.w.hook(c, sent, env)
	}
}

// end tells the hook the connection ended (once: on the first read error or
// Close).
func (c *tapConn) end() {
	if h := c.w.hook; h != nil {
		h(c, false, protocol.Envelope{}) // an empty envelope: the end
	}
}

// joinWatch counts, per connection, the joins the client sent whose reply
// has not arrived yet, and keeps the largest count seen (SPEC L5).
type joinWatch struct {
	mu       sync.Mutex
	pending  map[*tapConn]map[string]struct{}
	maxPer   int // the most joins in flight on one connection
	sent     int
	answered int
}

var (
	joinEvent  = []byte(`"` + protocol.EventJoin + `"`)
	replyEvent = []byte(`"` + protocol.EventReply + `"`)
)

// hook is the wiretap hook of the watch.
func (w *joinWatch) hook(c *tapConn, sent bool, env protocol.Envelope) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == nil {
		w.pending = map[*tapConn]map[string]struct{}{}
	}
	p := w.pending[c]
	if p == nil {
		p = map[string]struct{}{}
		w.pending[c] = p
	}
	switch {
	case env.Event == nil: // the connection ended: its joins are gone
		delete(w.pending, c)
	case sent && bytes.Equal(env.Event, joinEvent):
		p[string(env.Ref)] = struct{}{}
		w.sent++
		w.maxPer = max(w.maxPer, len(p))
	case !sent && bytes.Equal(env.Event, replyEvent):
		if _, ok := p[string(env.Ref)]; ok {
			delete(p, string(env.Ref))
			w.answered++
		}
	}
}

// stats returns the largest number of joins in flight seen on one
// connection, and the joins sent and answered.
func (w *joinWatch) stats() (maxPer, sent, answered int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxPer, w.sent, w.answered
}

// reset forgets the maximum and the counts.
func (w *joinWatch) reset() {
	w.mu.Lock()
	w.maxPer, w.sent, w.answered = 0, 0, 0
	w.mu.Unlock()
}

// heartbeatLog records when the client wrote each heartbeat.
type heartbeatLog struct {
	mu   sync.Mutex
	sent []time.Time
}

var heartbeatEvent = []byte(`"` + protocol.EventHeartbeat + `"`)

func (h *heartbeatLog) hook(_ *tapConn, sent bool, env protocol.Envelope) {
	if sent && bytes.Equal(env.Event, heartbeatEvent) {
		h.mu.Lock()
		h.sent = append(h.sent, time.Now())
		h.mu.Unlock()
	}
}

// lastBefore returns the last heartbeat written before t.
func (h *heartbeatLog) lastBefore(t time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var last time.Time
	for _, s := range h.sent {
		if s.Before(t) {
			last = s
		}
	}
	return last, !last.IsZero()
}
