package actors

import (
	"io"
	"sync"
	"syscall"
)

// Read side buffering. An idle socket should hold no read buffer, and a
// busy one should read many frames per syscall. gorilla keeps its own read
// buffer for the connection's life, so it gets a small one (gorillaReadBuf);
// below it, bufConn reads large chunks into pooled buffers whenever data is
// already waiting (a non-blocking read on the TCP socket), and lets a
// buffer go as soon as it is consumed. Only the blocking read of an idle
// connection goes straight into gorilla's small buffer.
const (
	gorillaReadBuf = 256      // gorilla's minimum is 125 (a control frame)
	readChunkSize  = 16 << 10 // one non-blocking read
)

var readChunkPool = sync.Pool{New: func() any { b := make([]byte, readChunkSize); return &b }}

// msgBufPool holds the read pump's message buffers between messages.
var msgBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// readState is bufConn's read side; only the read pump (after the
// handshake) uses it.
type readState struct {
	raw   syscall.RawConn // nil: the connection has no file descriptor (a pipe, TLS below us)
	chunk *[]byte         // unread data: (*chunk)[pos:]
	pos   int

	// The non-blocking read, built once (a closure per read would allocate).
	readFn func(fd uintptr) bool
	target []byte
	n      int
	err    error
	// waitFn reads a chunk, or asks to wait when nothing waits (holding no
	// chunk while it does).
	waitFn func(fd uintptr) bool
}

// buffered reports whether bytes read from the network wait in the chunk.
func (b *bufConn) buffered() bool { return b.rd.chunk != nil }

// Read serves p from the pooled chunk, refilling it without blocking when
// data waits in the socket, else reads (and blocks) straight into p.
func (b *bufConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	rd := &b.rd
	if rd.chunk == nil && rd.raw != nil {
		b.fillChunk()
	}
	if rd.chunk != nil {
		n := copy(p, (*rd.chunk)[rd.pos:])
		rd.pos += n
		if rd.pos == len(*rd.chunk) {
			*rd.chunk = (*rd.chunk)[:cap(*rd.chunk)]
			readChunkPool.Put(rd.chunk)
			rd.chunk, rd.pos = nil, 0
		}
		return n, nil
	}
	return b.Conn.Read(p)
}

// fillChunk reads what waits in the socket into a pooled chunk without
// blocking; on nothing waiting (or any error, which the blocking read then
// reports) the chunk goes back.
func (b *bufConn) fillChunk() {
	rd := &b.rd
	bp := readChunkPool.Get().(*[]byte)
	rd.target = *bp
	rerr := rd.raw.Read(rd.readFn)
	n, err := rd.n, rd.err
	rd.target, rd.err = nil, nil
	if rerr != nil || err != nil || n <= 0 {
		readChunkPool.Put(bp)
		return
	}
	*bp = (*bp)[:n]
	rd.chunk, rd.pos = bp, 0
}

// waitReadable parks the read pump until the socket has data, which it
// reads into a chunk: an idle connection waits here, on a shallow stack,
// instead of deep in gorilla's frame reader. (The runtime halves a
// goroutine's stack at GC only when under a quarter of it is in use; parked
// in gorilla, a read pump that started with 8 KB keeps it.) The caller
// knows gorilla holds no buffered byte. The read and the wait are one
// RawConn.Read, so no readiness is lost between them; any error is left
// to the next read to report.
func (b *bufConn) waitReadable() {
	rd := &b.rd
	if rd.raw == nil || rd.chunk != nil {
		return
	}
	_ = rd.raw.Read(rd.waitFn)
}

// enableReads turns the chunked reads on (after the handshake) when the
// connection has a file descriptor.
func (b *bufConn) enableReads() {
	if sc, ok := b.Conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			rd := &b.rd
			rd.raw = raw
			rd.readFn = func(fd uintptr) bool {
				rd.n, rd.err = syscall.Read(int(fd), rd.target)
				return true // never wait here
			}
			rd.waitFn = func(fd uintptr) bool {
				bp := readChunkPool.Get().(*[]byte)
				n, err := syscall.Read(int(fd), *bp)
				if err == syscall.EAGAIN {
					readChunkPool.Put(bp)
					return false // wait for readability, then be called again
				}
				if err != nil || n <= 0 {
					readChunkPool.Put(bp)
					return true // the next read reports it
				}
				*bp = (*bp)[:n]
				rd.chunk, rd.pos = bp, 0
				return true
			}
		}
	}
}

// releaseReads gives a chunk back when the connection ends.
func (b *bufConn) releaseReads() {
	if b.rd.chunk != nil {
		readChunkPool.Put(b.rd.chunk)
		b.rd.chunk = nil
	}
}

func getMsgBuf() *[]byte { return msgBufPool.Get().(*[]byte) }

func putMsgBuf(b *[]byte) {
	if cap(*b) > maxKeptReadBuf {
		return // let a large one go
	}
	*b = (*b)[:0]
	msgBufPool.Put(b)
}

var _ io.Reader = (*bufConn)(nil)
