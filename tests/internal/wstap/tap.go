package wstap

import (
	"net"
	"sync"
)

// Tap returns c with its websocket frames watched both ways. c must carry a
// websocket client's connection from its first byte: the upgrade request
// written and the response read are skipped. onFrame gets the payload of
// each small text frame (see Scanner) as it is written (sent is true) or
// read; the payload is reused after onFrame returns. Frames written and
// frames read may be handed over at the same time from two goroutines.
// onEnd is called once, on the first read error or Close, whichever comes
// first. Either hook may be nil.
func Tap(c net.Conn, onFrame func(sent bool, payload []byte), onEnd func()) net.Conn {
	t := &tapped{Conn: c, onEnd: onEnd}
	t.in.SkipHTTP, t.out.SkipHTTP = true, true
	if onFrame != nil {
		t.out.OnFrame = func(p []byte) { onFrame(true, p) }
		t.in.OnFrame = func(p []byte) { onFrame(false, p) }
	}
	return t
}

// tapped is a connection wrapped by Tap.
type tapped struct {
	net.Conn

	rmu, wmu sync.Mutex // one reader and one writer at a time, each with its scanner
	in, out  Scanner

	onEnd   func()
	endOnce sync.Once
}

// Read reads from the connection and scans what it read.
func (c *tapped) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rmu.Lock()
		c.in.Feed(p[:n])
		c.rmu.Unlock()
	}
	if err != nil {
		c.end()
	}
	return n, err
}

// Write scans p and writes it to the connection.
func (c *tapped) Write(p []byte) (int, error) {
	c.wmu.Lock()
	c.out.Feed(p)
	c.wmu.Unlock()
	return c.Conn.Write(p)
}

// Close ends the tap and closes the connection.
func (c *tapped) Close() error {
	c.end()
	return c.Conn.Close()
}

func (c *tapped) end() {
	c.endOnce.Do(func() {
		if c.onEnd != nil {
			c.onEnd()
		}
	})
}
