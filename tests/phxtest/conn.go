package phxtest

import (
	"errors"
	"net"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// closeWait is how long the server waits for the client's answer to a close
// frame it sent before it closes the TCP connection.
const closeWait = 2 * time.Second

// Conn is one client connection (Phoenix's socket transport process). Frames
// from the client are handled in order on its transport goroutine; a join
// runs there too, so a slow join blocks the whole connection. Everything it
// sends goes through its one writer.
type Conn struct {
	srv    *Server
	num    uint64
	ws     *websocket.Conn
	nc     net.Conn
	ser    protocol.Serializer
	params url.Values
	token  string
	id     string
	w      *writer

	mu       sync.Mutex
	channels map[string]*ChannelSocket

	stallHB atomic.Bool

	closeMu       sync.Mutex
	closeSent     bool
	closeDeadline time.Time

	dyingOnce sync.Once
	dying     chan struct{} // closed when the connection starts to end
	done      chan struct{} // closed when it has fully ended
}

func newConn(s *Server, num uint64, ws *websocket.Conn, ser protocol.Serializer, params url.Values, token, id string) *Conn {
	c := &Conn{
		srv: s, num: num, ws: ws, nc: ws.NetConn(), ser: ser, params: params, token: token, id: id,
		channels: map[string]*ChannelSocket{},
		dying:    make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.w = newWriter(c, c.nc)
	return c
}

// Num is the connection's number, 1 for the server's first connection.
func (c *Conn) Num() uint64 { return c.num }

// ID is the socket id (Phoenix's UserSocket.id/1): by default
// "user_socket:<token>" when the client gave a token, else "".
func (c *Conn) ID() string { return c.id }

// Params returns the connect params (the websocket URL's query).
func (c *Conn) Params() url.Values { return c.params }

// Token returns the auth token the client passed in its subprotocols, if any.
func (c *Conn) Token() string { return c.token }

// Serializer returns the protocol version the client connected with.
func (c *Conn) Serializer() protocol.Serializer { return c.ser }

// Done is closed once the connection has ended and its channels terminated.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Topics returns the topics joined on this connection, sorted.
func (c *Conn) Topics() []string {
	c.mu.Lock()
	out := make([]string, 0, len(c.channels))
	for t := range c.channels {
		out = append(out, t)
	}
	c.mu.Unlock()
	sort.Strings(out)
	return out
}

// Channel returns the channel joined on topic, or nil.
func (c *Conn) Channel(topic string) *ChannelSocket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channels[topic]
}

// Push sends event to this connection on the channel joined on topic.
func (c *Conn) Push(topic, event string, p Payload) error {
	ch := c.Channel(topic)
	if ch == nil {
		return ErrNoTopic
	}
	return ch.Push(event, p)
}

// SendRaw sends data as it is, in a text (or binary) websocket message, to
// test how a client copes with frames no server should send: malformed
// ones, replies to nothing, events for a topic it left.
func (c *Conn) SendRaw(data []byte, binary bool) error {
	op := websocket.TextMessage
	if binary {
		op = websocket.BinaryMessage
	}
	if !c.w.push(op, data) {
		return ErrClosed
	}
	return nil
}

// StallHeartbeats makes this connection stop (true) or resume (false)
// answering heartbeats; everything else keeps working.
func (c *Conn) StallHeartbeats(on bool) { c.stallHB.Store(on) }

// Drop closes the TCP connection without a close frame (the client sees
// 1006), as a crashed server or a broken network does.
func (c *Conn) Drop() {
	c.markDying()
	_ = c.nc.Close()
}

// Close sends a close frame with code and reason, waits briefly for the
// client's answer, and closes the connection. Channels get no phx_close.
func (c *Conn) Close(code int, reason string) { c.closeWith(code, reason) }

func (c *Conn) markDying() { c.dyingOnce.Do(func() { close(c.dying) }) }

// closeWith queues a close frame and makes the transport stop handling
// frames and wait at most closeWait for the client's close.
func (c *Conn) closeWith(code int, reason string) {
	c.markDying()
	if !c.w.closeWith(code, reason) {
		return
	}
	c.closeMu.Lock()
	c.closeSent = true
	c.closeDeadline = time.Now().Add(closeWait)
	dl := c.closeDeadline
	c.closeMu.Unlock()
	_ = c.nc.SetReadDeadline(dl)
}

func (c *Conn) closing() (bool, time.Time) {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.closeSent, c.closeDeadline
}

// send encodes f for this connection's serializer and queues it.
func (c *Conn) send(f *outFrame) error {
	data, bin, err := f.encode(c.ser)
	if err != nil {
		c.srv.log.Warn("phxtest: frame not sent", "conn", c.num, "topic", f.topic, "event", f.event, "err", err)
		return err
	}
	op := websocket.TextMessage
	if bin {
		op = websocket.BinaryMessage
	}
	if !c.w.push(op, data) {
		return ErrClosed
	}
	return nil
}

func (c *Conn) removeChannel(ch *ChannelSocket) {
	c.mu.Lock()
	if c.channels[ch.topic] == ch {
		delete(c.channels, ch.topic)
	}
	c.mu.Unlock()
}

func (c *Conn) recordIn(op int, data []byte) {
	c.srv.stats.framesIn.Add(1)
	if r := c.srv.rec; r != nil {
		r.add(Record{Conn: c, Dir: FromClient, Opcode: op, Data: data, Time: time.Now()})
	}
}

func (c *Conn) recordOut(op int, data []byte) {
	c.srv.stats.framesOut.Add(1)
	if r := c.srv.rec; r != nil {
		rec := Record{Conn: c, Dir: ToClient, Opcode: op, Data: data, Time: time.Now()}
		if op == websocket.CloseMessage {
			rec.CloseCode = closeCode(data)
		}
		r.add(rec)
	}
}

func closeCode(data []byte) int {
	if len(data) < 2 {
		return websocket.CloseNoStatusReceived
	}
	return int(data[0])<<8 | int(data[1])
}

// serve is the transport: it reads and handles frames in order until the
// connection ends, then tears it down.
func (c *Conn) serve() {
	defer c.srv.wg.Done()
	c.ws.SetCloseHandler(c.onClientClose)
	c.ws.SetPingHandler(func(data string) error {
		c.w.push(websocket.PongMessage, []byte(data))
		return nil
	})
	c.ws.SetPongHandler(func(string) error { return nil })
	for {
		c.armReadDeadline()
		op, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readEnded(err)
			break
		}
		c.recordIn(op, data)
		if sent, _ := c.closing(); sent {
			continue // after a close frame, only the client's close matters
		}
		if err := c.dispatch(op == websocket.BinaryMessage, data); err != nil {
			// Phoenix's transport crashes on a frame it cannot decode: 1011.
			c.srv.log.Warn("phxtest: malformed frame, closing with 1011", "conn", c.num, "err", err)
			c.closeWith(websocket.CloseInternalServerErr, "")
		}
	}
	c.teardown()
}

func (c *Conn) armReadDeadline() {
	var dl time.Time
	if idle := c.srv.cfg.idle; idle > 0 {
		dl = time.Now().Add(idle)
	}
	if sent, cdl := c.closing(); sent && (dl.IsZero() || cdl.Before(dl)) {
		dl = cdl
	}
	_ = c.ws.SetReadDeadline(dl)
}

// onClientClose answers the client's close frame with the same code.
func (c *Conn) onClientClose(code int, _ string) error {
	c.srv.recordClientClose(c, code)
	c.markDying()
	if code == websocket.CloseNoStatusReceived {
		c.w.closeWithRaw(nil)
	} else {
		c.w.closeWith(code, "")
	}
	return nil
}

func (c *Conn) readEnded(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if sent, _ := c.closing(); !sent {
			// No frame from the client for the idle timeout: close 1000.
			c.srv.log.Debug("phxtest: idle timeout", "conn", c.num)
			c.w.closeWith(websocket.CloseNormalClosure, "")
		}
	}
	c.markDying()
}

// teardown ends the connection: its channels terminate (their presences
// leave), pending frames are flushed, the TCP connection is closed.
func (c *Conn) teardown() {
	c.mu.Lock()
	chans := make([]*ChannelSocket, 0, len(c.channels))
	for _, ch := range c.channels {
		chans = append(chans, ch)
	}
	c.mu.Unlock()
	dones := make([]<-chan bool, len(chans))
	for i, ch := range chans {
		dones[i] = ch.beginShutdown(ReasonClosed, false)
	}
	var deadline *time.Timer
	for i, ch := range chans {
		select {
		case <-dones[i]:
			continue
		default:
		}
		if deadline == nil {
			deadline = time.NewTimer(shutdownWait)
			defer deadline.Stop()
		}
		ch.awaitShutdown(dones[i], deadline.C, false)
	}
	c.w.finish()
	c.w.wait(closeWait)
	_ = c.nc.Close()
	<-c.w.done
	c.srv.removeConn(c)
	close(c.done)
}
