package phxtest

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// memBufLimit is how many bytes one direction of an in-memory connection
// buffers before a writer blocks, like a socket's send and receive buffers.
const memBufLimit = 4 << 20

// memPipe returns the two ends of a full-duplex in-memory connection. Unlike
// net.Pipe, each direction is buffered (up to memBufLimit), so a writer does
// not wait for the reader, as with a real socket; every wait is on a channel,
// so a goroutine blocked on it is durably blocked inside a synctest bubble.
func memPipe(clientAddr, serverAddr net.Addr) (client, server *memConn) {
	c2s, s2c := newMemBuf(), newMemBuf()
	client = &memConn{rd: s2c, wr: c2s, local: clientAddr, remote: serverAddr, closed: make(chan struct{})}
	server = &memConn{rd: c2s, wr: s2c, local: serverAddr, remote: clientAddr, closed: make(chan struct{})}
	client.rdl.init()
	client.wdl.init()
	server.rdl.init()
	server.wdl.init()
	return client, server
}

// memBuf is one direction of a memConn.
type memBuf struct {
	mu       sync.Mutex
	data     []byte
	eof      bool          // the writer closed: reads drain then return io.EOF
	broken   bool          // the reader closed: writes fail
	readable chan struct{} // signalled when data arrives or eof is set
	writable chan struct{} // signalled when room appears or broken is set
}

func newMemBuf() *memBuf {
	return &memBuf{readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// memConn is one end of a memPipe. It implements net.Conn with deadlines.
type memConn struct {
	rd, wr        *memBuf
	local, remote net.Addr
	closeOnce     sync.Once
	closed        chan struct{}
	rdl, wdl      deadline
}

func (c *memConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *memConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "pipe", Source: c.local, Addr: c.remote, Err: err}
}

// Read reads buffered data, waiting for some when there is none.
func (c *memConn) Read(p []byte) (int, error) {
	b := c.rd
	for {
		if c.isClosed() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		if c.rdl.expired() {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		b.mu.Lock()
		if len(b.data) > 0 {
			n := copy(p, b.data)
			b.data = b.data[n:]
			if len(b.data) == 0 {
				b.data = nil
			}
			b.mu.Unlock()
			signal(b.writable)
			return n, nil
		}
		if b.eof {
			b.mu.Unlock()
			return 0, io.EOF
		}
		b.mu.Unlock()
		select {
		case <-b.readable:
		case <-c.closed:
		case <-c.rdl.wait():
		}
	}
}

// Write appends p to the peer's buffer, waiting while the buffer is full.
func (c *memConn) Write(p []byte) (int, error) {
	b := c.wr
	written := 0
	for {
		if c.isClosed() {
			return written, c.opErr("write", net.ErrClosed)
		}
		if c.wdl.expired() {
			return written, c.opErr("write", os.ErrDeadlineExceeded)
		}
		b.mu.Lock()
		if b.broken || b.eof {
			b.mu.Unlock()
			return written, c.opErr("write", syscall.EPIPE)
		}
		if room := memBufLimit - len(b.data); room > 0 {
			n := min(room, len(p)-written)
			b.data = append(b.data, p[written:written+n]...)
			written += n
			b.mu.Unlock()
			signal(b.readable)
			if written == len(p) {
				return written, nil
			}
			continue
		}
		b.mu.Unlock()
		select {
		case <-b.writable:
		case <-c.closed:
		case <-c.wdl.wait():
		}
	}
}

// Close closes both directions: the peer reads what was written, then io.EOF;
// the peer's writes fail.
func (c *memConn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
		c.wr.mu.Lock()
		c.wr.eof = true
		c.wr.mu.Unlock()
		signal(c.wr.readable)
		c.rd.mu.Lock()
		c.rd.broken = true
		c.rd.data = nil
		c.rd.mu.Unlock()
		signal(c.rd.writable)
		c.rdl.stop()
		c.wdl.stop()
	})
	if !first {
		return c.opErr("close", net.ErrClosed)
	}
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}
func (c *memConn) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// deadline is a settable deadline whose expiry closes a channel, as in
// net.Pipe.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes
}

func (d *deadline) init() { d.cancel = make(chan struct{}) }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: it closed cancel; wait is already done
	}
	d.timer = nil
	closed := isClosedChan(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

func (d *deadline) stop() {
	d.mu.Lock()
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
	}
	d.mu.Unlock()
}

func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func (d *deadline) expired() bool { return isClosedChan(d.wait()) }

func isClosedChan(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// memAddr is the address of an in-memory connection.
type memAddr string

func (a memAddr) Network() string { return "pipe" }
func (a memAddr) String() string  { return string(a) }

// memListener is a net.Listener whose connections are memPipes made by dial.
type memListener struct {
	addr    memAddr
	accepts chan net.Conn
	done    chan struct{}
	once    sync.Once
}

func newMemListener(addr string) *memListener {
	return &memListener{addr: memAddr(addr), accepts: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next dialled connection.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accepts:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close stops accepting; later dials are refused.
func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *memListener) Addr() net.Addr { return l.addr }

// dial connects to the listener, or fails with ECONNREFUSED when it is closed.
func (l *memListener) dial(ctx context.Context, clientAddr string) (net.Conn, error) {
	refused := &net.OpError{Op: "dial", Net: "pipe", Addr: l.addr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	if isClosedChan(l.done) {
		return nil, refused
	}
	client, server := memPipe(memAddr(clientAddr), l.addr)
	select {
	case l.accepts <- server:
		return client, nil
	case <-l.done:
		return nil, refused
	case <-ctx.Done():
		return nil, &net.OpError{Op: "dial", Net: "pipe", Addr: l.addr, Err: ctx.Err()}
	}
}
