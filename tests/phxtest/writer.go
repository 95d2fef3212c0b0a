package phxtest

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxBatch is how many bytes the writer coalesces into one Write.
const maxBatch = 256 << 10

// outMsg is one websocket message waiting to be written.
type outMsg struct {
	op   int // websocket.TextMessage, BinaryMessage, CloseMessage or PongMessage
	data []byte
}

// writer is the one writer of a connection: every frame goes through its
// queue, in order; its goroutine drains the queue and writes each batch with
// one Write (server frames are unmasked, so framing them is a few bytes).
type writer struct {
	nc   net.Conn
	conn *Conn

	mu      sync.Mutex
	q       []outMsg
	spare   []outMsg
	closed  bool // nothing more is accepted: a close frame was queued or the conn ended
	wake    chan struct{}
	done    chan struct{} // closed when the goroutine has exited
	sentEnd chan struct{} // closed once the close frame (if any) is written
	endOnce sync.Once
}

// bufPool holds write buffers: an idle connection keeps none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func newWriter(c *Conn, nc net.Conn) *writer {
	return &writer{nc: nc, conn: c, wake: make(chan struct{}, 1), done: make(chan struct{}), sentEnd: make(chan struct{})}
}

// push queues a data or pong message. It reports false when the writer no
// longer accepts messages.
func (w *writer) push(op int, data []byte) bool {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return false
	}
	w.q = append(w.q, outMsg{op: op, data: data})
	w.mu.Unlock()
	signal(w.wake)
	return true
}

// closeWith queues a close frame with code and reason as the last message.
// It reports false if the writer was already closed.
func (w *writer) closeWith(code int, reason string) bool {
	return w.closeWithRaw(websocket.FormatCloseMessage(code, reason))
}

// closeWithRaw queues a close frame with the given payload (empty: no code).
func (w *writer) closeWithRaw(data []byte) bool {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return false
	}
	w.closed = true
	w.q = append(w.q, outMsg{op: websocket.CloseMessage, data: data})
	w.mu.Unlock()
	signal(w.wake)
	return true
}

// finish stops accepting messages; the goroutine exits once the queue is
// written.
func (w *writer) finish() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	signal(w.wake)
}

func (w *writer) markEnd() { w.endOnce.Do(func() { close(w.sentEnd) }) }

// run is the writer goroutine.
func (w *writer) run() {
	defer close(w.done)
	defer w.markEnd()
	for {
		<-w.wake
		for {
			w.mu.Lock()
			batch := w.q
			closed := w.closed
			w.q, w.spare = w.spare[:0], nil
			w.mu.Unlock()
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
			if !w.write(batch) {
				w.mu.Lock()
				w.closed = true
				w.q = nil
				w.mu.Unlock()
				return
			}
			if cap(batch) <= 1024 {
				clear(batch)
				w.mu.Lock()
				if w.spare == nil {
					w.spare = batch[:0]
				}
				w.mu.Unlock()
			}
		}
	}
}

// write frames and writes one batch; false on a write error.
func (w *writer) write(batch []outMsg) bool {
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 2*maxBatch {
			bufPool.Put(bp)
		}
	}()
	buf := (*bp)[:0]
	defer func() { *bp = buf[:0] }()
	sawClose := false
	for _, m := range batch {
		buf = appendWSFrame(buf, m.op, m.data)
		w.conn.recordOut(m.op, m.data)
		if m.op == websocket.CloseMessage {
			sawClose = true
		}
		if len(buf) >= maxBatch {
			if _, err := w.nc.Write(buf); err != nil {
				return false
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if _, err := w.nc.Write(buf); err != nil {
			return false
		}
	}
	if sawClose {
		w.markEnd()
	}
	return true
}

// wait waits up to d for the goroutine to exit.
func (w *writer) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.done:
		return true
	case <-t.C:
		return false
	}
}

// appendWSFrame appends one unmasked, final websocket frame (RFC 6455 5.2).
func appendWSFrame(dst []byte, op int, payload []byte) []byte {
	dst = append(dst, 0x80|byte(op))
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126, 0, 0)
		binary.BigEndian.PutUint16(dst[len(dst)-2:], uint16(n))
	default:
		dst = append(dst, 127, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(dst[len(dst)-8:], uint64(n))
	}
	return append(dst, payload...)
}
