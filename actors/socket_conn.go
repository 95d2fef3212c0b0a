package actors

import (
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// closeGrace bounds the wait for the server's close frame after ours, as the
// official client waits for the socket to close before giving up on it.
const closeGrace = 1500 * time.Millisecond

// maxKeptReadBuf: a read buffer grown past this by one large message is
// dropped afterwards, so an idle socket holds no large buffer.
const maxKeptReadBuf = 64 << 10

// errHeartbeatTimeout: the previous heartbeat had no reply within the
// interval (SPEC K2).
var errHeartbeatTimeout = errors.New("heartbeat timeout")

// wsConn is one websocket connection of a socket: its bounded write queue,
// its read pump and its write pump (the only goroutines it runs). The read
// pump runs for the connection's life; the write pump runs only while
// frames or a close wait (an idle socket runs one goroutine).
type wsConn struct {
	core *socketCore
	gen  uint64
	ws   *websocket.Conn
	bc   *bufConn

	qmu      sync.Mutex
	queue    []outFrame
	closed   bool // refuses new frames
	drain    bool // graceful close: write the queue, then close 1000
	closeReq *closeRequest
	writing  bool // a write pump runs
	dead     bool // fail ran: no write pump starts any more

	inWake chan struct{} // the read pump may read again (capacity 1; see inGauge); made by its first wait
	// The read pump's own (touched by it only).
	msgBuf *[]byte    // the message buffer, pooled while the connection is idle
	rcache routeCache // its last route

	failMu  sync.Mutex
	failErr error
	failed  chan struct{} // closed by fail: the connection is over
	pumps   atomic.Int32  // pumps running (the read pump, the write pump while it runs)
	done    chan struct{} // the read pump and the last write pump ended
}

type closeRequest struct {
	code int
	text string
}

// outFrame is an encoded frame waiting for the writer.
type outFrame struct {
	buf    *[]byte
	binary bool
	ref    string
	from   *actor.PID // told PushFailed when the frame cannot be written
}

func newWsConn(core *socketCore, gen uint64, ws *websocket.Conn, bc *bufConn) *wsConn {
	c := &wsConn{
		core: core, gen: gen, ws: ws, bc: bc,
		failed: make(chan struct{}),
		done:   make(chan struct{}),
	}
	ws.SetReadLimit(core.cfg.ReadLimit)
	// Control frames the read side answers go out at once, not after the
	// next batch of the writer.
	ws.SetPingHandler(func(data string) error {
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		bc.Flush()
		if err == websocket.ErrCloseSent {
			return nil
		}
		return err
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		msg := websocket.FormatCloseMessage(code, "")
		if code == websocket.CloseNoStatusReceived {
			msg = websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		}
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		bc.Flush()
		return nil
	})
	return c
}

// start runs the read pump; false when the System refused (it is stopping).
func (c *wsConn) start() bool {
	c.pumps.Store(1)
	if !c.core.sys.goTracked(c.readLoop) {
		c.fail(messages.ErrClosed)
		c.pumpExited() // the reader never ran
		return false
	}
	return true
}

// wantWriter marks the write pump running and reports whether the caller
// must start it (c.qmu is held). None starts once the connection failed.
func (c *wsConn) wantWriter() bool {
	if c.writing || c.dead {
		return false
	}
	c.writing = true
	c.pumps.Add(1) // before the read pump can end: done waits for this one
	return true
}

// startWriter runs the write pump that wantWriter asked for.
func (c *wsConn) startWriter() {
	if c.core.sys.track() {
		go c.runWriter()
	} else { // the System stopped
		c.fail(messages.ErrClosed)
		c.failQueued()
		c.pumpExited()
	}
}

// runWriter is the write pump's goroutine (tracked by the System; no
// closure is allocated per start).
func (c *wsConn) runWriter() {
	defer c.core.sys.wg.Done()
	c.writeLoop()
}

// pumpExited is called by each pump as it ends; the last one closes done.
func (c *wsConn) pumpExited() {
	if c.pumps.Add(-1) == 0 {
		c.core.connDone(c)
		close(c.done)
	}
}

// enqueue encodes f and queues it for the writer without blocking.
func (c *wsConn) enqueue(f *protocol.Frame, from *actor.PID) error {
	bp := getFrameBuf()
	data, binary, err := c.core.cfg.Serializer.EncodeClient((*bp)[:0], f)
	if err != nil {
		putFrameBuf(bp)
		return err
	}
	*bp = data
	c.qmu.Lock()
	if c.closed {
		c.qmu.Unlock()
		putFrameBuf(bp)
		return messages.ErrNotConnected
	}
	if len(c.queue) >= c.core.cfg.WriteQueueSize {
		c.qmu.Unlock()
		putFrameBuf(bp)
		c.core.ctr.queueFull.Add(1)
		return messages.ErrWriteQueueFull
	}
	if c.queue == nil {
		c.queue = getQueue()
	}
	c.queue = append(c.queue, outFrame{buf: bp, binary: binary, ref: f.Ref, from: from})
	start := c.wantWriter()
	c.qmu.Unlock()
	if start {
		c.startWriter()
	}
	return nil
}

// fail ends the connection: the first reason wins, the socket is closed
// without a handshake, the pumps end, and the socket actor hears of it.
func (c *wsConn) fail(err error) {
	c.failMu.Lock()
	select {
	case <-c.failed:
		c.failMu.Unlock()
		return
	default:
	}
	if c.failErr == nil {
		c.failErr = err
	}
	close(c.failed)
	reason := c.failErr
	c.failMu.Unlock()
	c.qmu.Lock()
	c.closed = true
	c.dead = true // a running write pump sees failed and fails what is queued
	c.qmu.Unlock()
	_ = c.bc.Close()
	c.core.sys.as.Root.Send(c.core.pid, &connEnded{gen: c.gen, err: reason})
}

// setReason records why the connection is ending, if nothing did before.
func (c *wsConn) setReason(err error) {
	c.failMu.Lock()
	if c.failErr == nil {
		c.failErr = err
	}
	c.failMu.Unlock()
}

// reason is why the connection ended (nil while it has not).
func (c *wsConn) reason() error {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	return c.failErr
}

// abort ends a connection the socket gave up on (heartbeat timeout): the
// writer sends a close frame with code and closes; queued frames fail.
func (c *wsConn) abort(err error, code int, text string) {
	c.setReason(err)
	c.qmu.Lock()
	c.closed = true
	c.closeReq = &closeRequest{code: code, text: text}
	start := c.wantWriter()
	c.qmu.Unlock()
	if start {
		c.startWriter()
	}
	// A writer stuck on a dead network gets its write deadline now.
	_ = c.bc.SetWriteDeadline(time.Now().Add(closeGrace))
}

// closeGracefully makes the writer write what is queued, send a normal
// close and wait for the server's close frame (SPEC K9).
func (c *wsConn) closeGracefully() {
	c.setReason(messages.ErrClosed)
	c.qmu.Lock()
	c.closed = true
	c.drain = true
	start := c.wantWriter()
	c.qmu.Unlock()
	if start {
		c.startWriter()
	}
}

// readLoop is the read pump: read, decode once, route (SPEC K5, W6). Its
// own frame is kept small (the message is handled in handleMessage): an
// idle socket parks in NextReader, and a pump using under a quarter of its
// stack there has the stack halved at the next GC.
func (c *wsConn) readLoop() {
	defer c.pumpExited()
	defer c.bc.releaseReads()
	defer c.dropMsgBuf()
	br := gorillaReader(c.ws)
	for {
		if !c.bc.buffered() { // the next read may block
			c.dropMsgBuf() // hold no buffer
			if br != nil && br.Buffered() == 0 {
				c.bc.waitReadable()
			}
		}
		mt, r, err := c.ws.NextReader()
		if err == nil {
			err = c.handleMessage(mt, r)
		}
		if err != nil {
			// gorilla may have answered with a close frame (1009 on the
			// read limit, 1002 on a protocol error): send it out.
			_ = c.bc.Flush()
			c.fail(readError(err))
			return
		}
	}
}

func (c *wsConn) dropMsgBuf() {
	if c.msgBuf != nil {
		putMsgBuf(c.msgBuf)
		c.msgBuf = nil
	}
}

// handleMessage reads one message, decodes it and routes it; an error is
// the connection's (a malformed frame is counted and dropped).
//
//go:noinline
func (c *wsConn) handleMessage(mt int, r io.Reader) error {
	core := c.core
	if c.msgBuf == nil {
		c.msgBuf = getMsgBuf()
	}
	buf, err := readAll(r, (*c.msgBuf)[:0])
	*c.msgBuf = buf
	if err != nil {
		return err
	}
	core.ctr.framesIn.Add(1)
	core.ctr.bytesIn.Add(uint64(len(buf)))
	binary := mt == websocket.BinaryMessage
	var f protocol.Frame
	if binary && core.cfg.Serializer != protocol.V2 {
		err = protocol.ErrBinaryUnsupported
	} else {
		f, err = core.cfg.Serializer.DecodeServer(buf, binary)
	}
	if err != nil {
		core.malformed(err, len(buf))
	} else if g := core.route(c.gen, &f, &c.rcache); g != nil {
		g.wait(&c.inWake, c.failed)
	}
	if cap(buf) > maxKeptReadBuf {
		c.msgBuf = nil // too large to keep
	}
	return nil
}

// readAll reads r to its end into buf, growing it as needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	if buf == nil {
		buf = make([]byte, 0, 512)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readError says why the read side ended.
func readError(err error) error {
	ce := &messages.ConnectionError{Op: "read", Err: err}
	var cl *websocket.CloseError
	if errors.As(err, &cl) {
		ce.CloseCode = cl.Code
	}
	return ce
}

// writeLoop is the write pump: it drains the queue in batches, each batch
// written into one buffer and flushed with one write (coalescing), and ends
// when the queue is empty (enqueue starts the next one).
func (c *wsConn) writeLoop() {
	defer c.pumpExited()
	var spare []outFrame
	for {
		select {
		case <-c.failed:
			c.failQueued()
			return
		default:
		}
		// Coalescing: let the goroutines that are ready to run (sessions,
		// callers) queue their frames too before this batch is taken, so a
		// busy socket writes several frames per syscall.
		runtime.Gosched()
		c.qmu.Lock()
		batch := c.queue
		c.queue, spare = spare[:0], nil // the two arrays swap roles
		drain, req := c.drain, c.closeReq
		if len(batch) == 0 && !drain && req == nil {
			c.writing = false
			sp := c.queue
			c.queue = nil // idle: no array held
			c.qmu.Unlock()
			putQueue(batch)
			putQueue(sp)
			return
		}
		c.qmu.Unlock()

		if req != nil {
			c.failFrames(batch)
			c.writeClose(req.code, req.text)
			c.fail(nil)
			c.failQueued()
			return
		}
		if len(batch) > 0 {
			if err := c.writeBatch(batch); err != nil {
				c.fail(&messages.ConnectionError{Op: "write", Err: err})
				c.failQueued()
				return
			}
		}
		spare = recycle(batch)
		if drain {
			c.qmu.Lock()
			more := len(c.queue) > 0
			c.qmu.Unlock()
			if more {
				continue
			}
			c.writeClose(websocket.CloseNormalClosure, "")
			t := time.NewTimer(closeGrace)
			select {
			case <-c.failed: // the read pump ends on the server's close (it fails the connection first)
			case <-t.C:
			}
			t.Stop()
			c.fail(nil)
			return
		}
	}
}

// writeBatch writes batch and flushes it; frames not written are reported
// as failed pushes.
func (c *wsConn) writeBatch(batch []outFrame) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.core.cfg.HeartbeatInterval))
	var bytesOut uint64
	for i := range batch {
		fr := &batch[i]
		mt := websocket.TextMessage
		if fr.binary {
			mt = websocket.BinaryMessage
		}
		if err := c.ws.WriteMessage(mt, *fr.buf); err != nil {
			c.setReason(&messages.ConnectionError{Op: "write", Err: err})
			c.failFrames(batch[i:])
			return err
		}
		bytesOut += uint64(len(*fr.buf))
	}
	if err := c.bc.Flush(); err != nil {
		c.setReason(&messages.ConnectionError{Op: "write", Err: err})
		c.failFrames(batch)
		return err
	}
	c.core.ctr.framesOut.Add(uint64(len(batch)))
	c.core.ctr.bytesOut.Add(bytesOut)
	return nil
}

// writeClose sends a close frame and flushes it.
func (c *wsConn) writeClose(code int, text string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text),
		time.Now().Add(closeGrace))
	_ = c.bc.Flush()
}

// failQueued reports every frame still queued as failed.
func (c *wsConn) failQueued() {
	c.qmu.Lock()
	c.closed = true
	rest := c.queue
	c.queue = nil
	c.qmu.Unlock()
	c.failFrames(rest)
}

// failFrames tells the pushers of frames that were never written.
func (c *wsConn) failFrames(frames []outFrame) {
	err := c.reason()
	if err == nil {
		err = messages.ErrNotConnected
	}
	for i := range frames {
		fr := &frames[i]
		if fr.buf == nil {
			continue
		}
		c.core.ctr.pushesFailed.Add(1)
		if fr.from != nil && fr.ref != "" {
			c.core.sys.as.Root.Send(fr.from, &messages.PushFailed{Ref: fr.ref, Err: err})
		}
		putFrameBuf(fr.buf)
		fr.buf = nil
	}
}

// recycle returns the batch's buffers to their pool and the slice for reuse.
func recycle(batch []outFrame) []outFrame {
	for i := range batch {
		if batch[i].buf != nil {
			putFrameBuf(batch[i].buf)
		}
		batch[i] = outFrame{}
	}
	return batch[:0]
}
