package chaos

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/rvct/phoenix/protocol"
)

// wiretap sees the frames of every connection the client dials through it:
// it parses the websocket stream both ways (the client's frames are masked)
// and hands each small text frame to its hook, at the moment the client
// writes or reads it. The frame scanner follows tests/bench's joinWatch.
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
	tc := &tapConn{Conn: c, w: w, num: n}
	tc.out.onFrame = func(p []byte) { tc.frame(true, p) }
	tc.in.onFrame = func(p []byte) { tc.frame(false, p) }
	tc.out.skipHTTP, tc.in.skipHTTP = true, true // the upgrade request and response come first
	return tc, nil
}

// tapConn is one tapped connection.
type tapConn struct {
	net.Conn
	w   *wiretap
	num int

	rmu, wmu sync.Mutex
	in, out  frameScanner

	closeOnce sync.Once
}

func (c *tapConn) frame(sent bool, p []byte) {
	env, err := protocol.SplitText(p)
	if err == nil && c.w.hook != nil {
		c.w.hook(c, sent, env)
	}
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rmu.Lock()
		c.in.feed(p[:n])
		c.rmu.Unlock()
	}
	if err != nil {
		c.end()
	}
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	c.out.feed(p)
	c.wmu.Unlock()
	return c.Conn.Write(p)
}

func (c *tapConn) Close() error {
	c.end()
	return c.Conn.Close()
}

func (c *tapConn) end() {
	c.closeOnce.Do(func() {
		if h := c.w.hook; h != nil {
			h(c, false, protocol.Envelope{}) // an empty envelope: the end
		}
	})
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

// maxWatchedFrame is the largest text frame a frameScanner hands over;
// joins, their replies and heartbeats are far smaller.
const maxWatchedFrame = 4 << 10

// frameScanner follows a stream of websocket frames fed in arbitrary pieces
// and calls onFrame with the unmasked payload of each small, unfragmented
// text frame. With skipHTTP it first skips an HTTP head (the upgrade
// request or response), up to its blank line.
type frameScanner struct {
	onFrame  func(payload []byte)
	skipHTTP bool
	crlf     int // bytes of "\r\n\r\n" matched while skipping

	hdr    [14]byte
	hn     int   // header bytes collected
	body   bool  // reading a payload
	remain int64 // payload bytes left
	mask   [4]byte
	masked bool
	mpos   int
	keep   bool // hand this frame's payload over
	buf    []byte
}

// feed consumes the next bytes of the stream.
func (s *frameScanner) feed(p []byte) {
	for len(p) > 0 {
		if s.skipHTTP {
			p = s.httpHead(p)
			continue
		}
		if !s.body {
			p = s.header(p)
			continue
		}
		k := int(min(s.remain, int64(len(p))))
		if s.keep {
			for i, b := range p[:k] {
				if s.masked {
					b ^= s.mask[(s.mpos+i)&3]
				}
				s.buf = append(s.buf, b)
			}
		}
		s.mpos += k
		s.remain -= int64(k)
		p = p[k:]
		if s.remain == 0 {
			s.endFrame()
		}
	}
}

// httpHead skips bytes up to and including the first "\r\n\r\n".
func (s *frameScanner) httpHead(p []byte) []byte {
	const end = "\r\n\r\n"
	for i, b := range p {
		switch {
		case b == end[s.crlf]:
			s.crlf++
		case b == '\r':
			s.crlf = 1
		default:
			s.crlf = 0
		}
		if s.crlf == len(end) {
			s.skipHTTP = false
			return p[i+1:]
		}
	}
	return nil
}

// header collects header bytes from p and returns the rest.
func (s *frameScanner) header(p []byte) []byte {
	for len(p) > 0 {
		s.hdr[s.hn] = p[0]
		s.hn++
		p = p[1:]
		if s.hn < 2 {
			continue
		}
		need := 2
		switch s.hdr[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		masked := s.hdr[1]&0x80 != 0
		if masked {
			need += 4
		}
		if s.hn < need {
			continue
		}
		var n int64
		switch l := s.hdr[1] & 0x7f; l {
		case 126:
			n = int64(binary.BigEndian.Uint16(s.hdr[2:4]))
		case 127:
			n = int64(binary.BigEndian.Uint64(s.hdr[2:10]) & (1<<63 - 1))
		default:
			n = int64(l)
		}
		s.masked = masked
		if masked {
			copy(s.mask[:], s.hdr[need-4:need])
		}
		fin, opcode := s.hdr[0]&0x80 != 0, s.hdr[0]&0x0f
		s.keep = fin && opcode == 1 && n <= maxWatchedFrame
		s.buf = s.buf[:0]
		s.remain, s.mpos, s.hn, s.body = n, 0, 0, true
		if n == 0 {
			s.endFrame()
		}
		return p
	}
	return p
}

func (s *frameScanner) endFrame() {
	s.body = false
	if s.keep && s.onFrame != nil {
		s.onFrame(s.buf)
	}
}
