package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"

	"github.com/rvct/phoenix/protocol"
)

// joinWatch counts the joins in flight of a client whose frames it cannot
// see otherwise (the library's): it wraps each net.Conn, parses the
// websocket frames going out (masked) and coming in, and counts phx_join
// pushes whose phx_reply has not arrived yet. A dropped connection takes its
// unanswered joins out of the count. Only small text frames are inspected,
// so the cost is a few byte scans per frame.
type joinWatch struct {
	fl inflight
}

// wrap returns c with its frames watched.
func (w *joinWatch) wrap(c net.Conn) net.Conn {
	wc := &watchedConn{Conn: c, w: w, pending: map[string]struct{}{}}
	wc.out.onFrame, wc.out.skipHTTP = wc.sent, true   // the upgrade request comes first
	wc.in.onFrame, wc.in.skipHTTP = wc.received, true // and its response
	return wc
}

type watchedConn struct {
	net.Conn
	w *joinWatch

	rmu, wmu sync.Mutex // one reader and one writer at a time, each with its scanner
	in, out  frameScanner

	mu      sync.Mutex
	pending map[string]struct{} // refs of joins sent and not answered
	closed  bool
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rmu.Lock()
		c.in.feed(p[:n])
		c.rmu.Unlock()
	}
	if err != nil {
		c.drop()
	}
	return n, err
}

func (c *watchedConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	c.out.feed(p)
	c.wmu.Unlock()
	return c.Conn.Write(p)
}

func (c *watchedConn) Close() error {
	c.drop()
	return c.Conn.Close()
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

// maxWatchedFrame is the largest text frame a frameScanner hands over; joins
// and their replies are far smaller.
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
