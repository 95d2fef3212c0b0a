package faultproxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// chunkSize is the most a pump reads at once.
	chunkSize = 32 << 10
	// queueLen is how many chunks may be in flight per direction (read, not
	// yet written): enough to pipeline latency without unbounded memory.
	queueLen = 256
	// pieceDivisor: a throttled write carries at most 1/pieceDivisor s worth of bytes.
	pieceDivisor = 20
)

// conn is one proxied connection: a client end, a target end and two
// directions, each pumped by a reader and a writer goroutine.
type conn struct {
	p              *Proxy
	client, target net.Conn
	done           chan struct{} // closed by shutdown
	once           sync.Once
	ended          atomic.Int32 // directions that ended with a graceful EOF
}

// direction carries bytes one way: src → queue → dst.
type direction struct {
	c          *conn
	src, dst   net.Conn
	fromClient bool
	queue      chan chunk
	delivered  *atomic.Int64
}

// chunk is data read from src, or its end, due for delivery at due.
type chunk struct {
	data     []byte
	due      time.Time
	end      bool // src is finished; data is empty
	graceful bool // with end: a clean EOF (FIN) rather than an error (RST)
}

func newConn(p *Proxy, client, target net.Conn) *conn {
	return &conn{p: p, client: client, target: target, done: make(chan struct{})}
}

// run starts the four pumps; the caller has added them to p.wg.
func (c *conn) run() {
	up := &direction{c: c, src: c.client, dst: c.target, fromClient: true,
		queue: make(chan chunk, queueLen), delivered: &c.p.toTarget}
	down := &direction{c: c, src: c.target, dst: c.client,
		queue: make(chan chunk, queueLen), delivered: &c.p.toClient}
	for _, d := range []*direction{up, down} {
		go d.read()
		go d.write()
	}
}

// shutdown closes both ends once, with a reset if asked, and reports whether
// this call did it.
func (c *conn) shutdown(abrupt bool) bool {
	first := false
	c.once.Do(func() {
		first = true
		close(c.done)
		if abrupt {
			reset(c.client)
			reset(c.target)
		} else {
			_ = c.client.Close()
			_ = c.target.Close()
		}
		c.p.forget(c)
	})
	return first
}

// endGracefully passes a clean EOF on to d.dst (a half-close where the
// connection supports it) and closes the connection once both directions
// have ended.
func (c *conn) endGracefully(d *direction) {
	cw, ok := d.dst.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil || c.ended.Add(1) == 2 {
		c.shutdown(false)
	}
}

// read pumps d.src into d.queue, stamping each chunk with its due time.
func (d *direction) read() {
	p, c := d.c.p, d.c
	defer p.wg.Done()
	buf := make([]byte, chunkSize)
	for {
		ok := p.await(c.done, func(s settings, _ time.Time) (bool, time.Time) {
			return !s.blackhole && !(d.fromClient && s.paused), time.Time{}
		})
		if !ok {
			return
		}
		n, err := d.src.Read(buf)
		if n > 0 && d.fromClient {
			// A read can still win a race with PauseReading's deadline:
			// hold its data until the pause ends.
			if !p.await(c.done, func(s settings, _ time.Time) (bool, time.Time) { return !s.paused, time.Time{} }) {
				return
			}
		}
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if !d.send(chunk{data: data, due: time.Now().Add(p.settings().latency)}) {
				return
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) { // PauseReading interrupted the read
				_ = d.src.SetReadDeadline(time.Time{})
				continue
			}
			end := chunk{end: true, graceful: errors.Is(err, io.EOF), due: time.Now().Add(p.settings().latency)}
			d.send(end)
			return
		}
	}
}

func (d *direction) send(ch chunk) bool {
	select {
	case d.queue <- ch:
		return true
	case <-d.c.done:
		return false
	}
}

// write delivers queued chunks to d.dst when due, unless blackholed, at
// most at the throttle rate.
func (d *direction) write() {
	p, c := d.c.p, d.c
	defer p.wg.Done()
	var lim limiter
	for {
		var ch chunk
		select {
		case ch = <-d.queue:
		case <-c.done:
			return
		}
		ok := p.await(c.done, func(s settings, now time.Time) (bool, time.Time) {
			if now.Before(ch.due) {
				return false, ch.due
			}
			return !s.blackhole, time.Time{}
		})
		if !ok {
			return
		}
		if ch.end {
			if ch.graceful {
				c.endGracefully(d)
			} else {
				c.shutdown(true)
			}
			return
		}
		for data := ch.data; len(data) > 0; {
			n := len(data)
			ok := p.await(c.done, func(s settings, now time.Time) (bool, time.Time) {
				if s.blackhole {
					return false, time.Time{}
				}
				n = len(data)
				return lim.take(s.throttle, &n, now)
			})
			if !ok {
				return
			}
			w, err := d.dst.Write(data[:n])
			d.delivered.Add(int64(w))
			if err != nil {
				c.shutdown(true)
				return
			}
			data = data[n:]
		}
	}
}

// limiter paces one direction's writes at a byte rate.
type limiter struct {
	rate int       // the rate next was computed for
	next time.Time // when the next piece may be written
}

// take trims *n to one piece and reports whether it may be written now, or
// when to ask again. rate 0 means unlimited. A new rate starts afresh, so a
// change takes effect at once rather than after a piece paced at the old rate.
func (l *limiter) take(rate int, n *int, now time.Time) (bool, time.Time) {
	if rate != l.rate {
		l.rate, l.next = rate, time.Time{}
	}
	if rate <= 0 {
		return true, time.Time{}
	}
	*n = min(*n, max(rate/pieceDivisor, 1))
	if now.Before(l.next) {
		return false, l.next
	}
	base := l.next
	// Keep the cadence across small timer lateness, but an idle line earns no credit.
	if base.IsZero() || now.Sub(base) > time.Second/pieceDivisor {
		base = now
	}
	l.next = base.Add(time.Duration(*n) * time.Second / time.Duration(rate))
	return true, time.Time{}
}
