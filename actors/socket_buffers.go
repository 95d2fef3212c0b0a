package actors

import (
	"net"
	"sync"
)

// coalesceSize is the largest batch the writer gathers before a write.
const coalesceSize = 32 << 10

// Pools: an idle socket holds no write buffer (SPEC performance shape).
var (
	// wsWritePool backs gorilla's per-message write buffers.
	wsWritePool sync.Pool
	// framePool holds encoded outbound frames between Send and the writer.
	framePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}
	// coalescePool holds the batch buffers of bufConn.
	coalescePool = sync.Pool{New: func() any { b := make([]byte, 0, coalesceSize); return &b }}
)

// queuePool holds write queue arrays: a write pump that ends (its socket is
// idle) gives its arrays back instead of holding them.
var queuePool = sync.Pool{New: func() any { return make([]outFrame, 0, 16) }}

func getQueue() []outFrame { return queuePool.Get().([]outFrame)[:0] }

func putQueue(q []outFrame) {
	if q == nil || cap(q) > 4096 {
		return
	}
	clear(q[:cap(q)])
	queuePool.Put(q[:0]) // boxing the header costs 24 bytes; growing a queue anew costs more
}

func getFrameBuf() *[]byte { return framePool.Get().(*[]byte) }

func putFrameBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return // let a large one go
	}
	*b = (*b)[:0]
	framePool.Put(b)
}

// bufConn is the net.Conn under gorilla's websocket.Conn. Until on() it
// writes through (the handshake); after, writes gather in a pooled buffer
// that Flush sends in one write, so a batch of frames costs one syscall.
// Writes come from gorilla under its write lock; Flush may come from the
// write pump or the read pump (control replies), hence the mutex.
type bufConn struct {
	net.Conn
	mu  sync.Mutex
	buf *[]byte
	on  bool

	rd readState // the read pump's (see socket_read.go)
}

func (b *bufConn) enable() {
	b.mu.Lock()
	b.on = true
	b.mu.Unlock()
	b.enableReads()
}

// Write buffers p (or writes it through before enable).
func (b *bufConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.on {
		return b.Conn.Write(p)
	}
	if b.buf == nil {
		b.buf = coalescePool.Get().(*[]byte)
	}
	if len(*b.buf)+len(p) > cap(*b.buf) {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= cap(*b.buf) {
			return b.Conn.Write(p)
		}
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered and releases the buffer.
func (b *bufConn) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.flushLocked()
	if b.buf != nil {
		*b.buf = (*b.buf)[:0]
		coalescePool.Put(b.buf)
		b.buf = nil
	}
	return err
}

func (b *bufConn) flushLocked() error {
	if b.buf == nil || len(*b.buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(*b.buf)
	*b.buf = (*b.buf)[:0]
	return err
}
