package main

import (
	"bytes"
	"net"
	"sync"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/internal/wstap"
)

// joinWatch counts the joins in flight of a client whose frames it cannot
// see otherwise (the library's): it wraps each net.Conn, parses the
// websocket frames going out (masked) and coming in, and counts phx_join
// pushes whose phx_reply has not arrived yet. A dropped connection takes its
// unanswered joins out of the count. Only small text frames are inspected
// (wstap.Scanner), so the cost is a few byte scans per frame.
type joinWatch struct {
	fl inflight
}

// wrap returns c with its frames watched.
func (w *joinWatch) wrap(c net.Conn) net.Conn {
	wc := &watchedConn{w: w, pending: map[string]struct{}{}}
	return wstap.Tap(c, wc.frame, wc.drop)
}

// watchedConn is the join count of one watched connection.
type watchedConn struct {
	w *joinWatch

	mu      sync.Mutex
	pending map[string]struct{} // refs of joins sent and not answered
	closed  bool
}

// frame takes a frame the client wrote (sent) or read.
func (c *watchedConn) frame(sent bool, payload []byte) {
	if sent {
		c.sent(payload)
	} else {
		c.received(payload)
	}
}

// drop forgets the connection's unanswered joins.
func (c *watchedConn) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.w.fl.add(-len(c.pending))
	clear(c.pending)
}

var (
	joinEvent  = []byte(`"` + protocol.EventJoin + `"`)
	replyEvent = []byte(`"` + protocol.EventReply + `"`)
)

func (c *watchedConn) sent(payload []byte) {
	if !bytes.Contains(payload, joinEvent) {
		return
	}
	env, err := protocol.SplitText(payload)
	if err != nil || !bytes.Equal(env.Event, joinEvent) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if _, dup := c.pending[string(env.Ref)]; !dup {
		c.pending[string(env.Ref)] = struct{}{}
		c.w.fl.add(1)
	}
}

func (c *watchedConn) received(payload []byte) {
	if !bytes.Contains(payload, replyEvent) {
		return
	}
	env, err := protocol.SplitText(payload)
	if err != nil || !bytes.Equal(env.Event, replyEvent) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[string(env.Ref)]; ok {
		delete(c.pending, string(env.Ref))
		c.w.fl.add(-1)
	}
}
