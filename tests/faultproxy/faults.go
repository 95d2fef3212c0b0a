package faultproxy

import (
	"fmt"
	"time"
)

// settings are the current fault controls, guarded by Proxy.mu.
type settings struct {
	latency   time.Duration
	throttle  int // bytes per second per direction per connection; 0 unlimited
	blackhole bool
	paused    bool // stop reading from clients
	refuse    bool
}

// SetLatency sets the one-way delay added to each chunk in both directions.
// A chunk is due d after the proxy read it, so a change applies to data read
// from then on; chunks never overtake each other. A negative d gives an error
// matching ErrBadOption.
func (p *Proxy) SetLatency(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: negative latency %v", ErrBadOption, d)
	}
	p.update(func(s *settings) { s.latency = d })
	return nil
}

// Throttle caps each direction of each connection at bytesPerSecond
// (0 = unlimited). Data is written in pieces of at most 1/20 s worth, so the
// throughput over any interval T stays under bytesPerSecond*T plus one piece.
// A new rate applies at once, from the next piece; an idle line earns no
// burst credit.
// A negative value gives an error matching ErrBadOption.
func (p *Proxy) Throttle(bytesPerSecond int) error {
	if bytesPerSecond < 0 {
		return fmt.Errorf("%w: negative throttle %d", ErrBadOption, bytesPerSecond)
	}
	p.update(func(s *settings) { s.throttle = bytesPerSecond })
	return nil
}

// Blackhole on stops delivery in both directions while every TCP connection
// stays open, so only application heartbeats can notice. Data is held, not
// discarded: the proxy stops writing and stops reading (after at most one
// more chunk per direction), a FIN or RST is held too, and on Blackhole(false)
// everything held is delivered in order. New connections are accepted and
// dialled but carry nothing while the blackhole is on.
func (p *Proxy) Blackhole(on bool) {
	p.update(func(s *settings) { s.blackhole = on })
}

// PauseReading on stops reading from every client (a slow server): what
// clients write backs up in the kernel buffers until their writes block.
// Reads in progress are interrupted; one that completes anyway (at most one
// chunk of 32 KiB per connection) is held and not delivered until the pause
// ends. Data read before the pause is still delivered. Reading resumes on
// PauseReading(false). The target-to-client direction is not affected.
func (p *Proxy) PauseReading(on bool) {
	p.update(func(s *settings) { s.paused = on })
	if !on {
		return
	}
	// Interrupt reads in progress so not even one more chunk gets through;
	// the reader clears the deadline and then sees paused.
	p.mu.Lock()
	live := p.liveLocked()
	p.mu.Unlock()
	for _, c := range live {
		_ = c.client.SetReadDeadline(time.Now())
	}
}

// RefuseNew on makes the proxy accept each new connection and reset it at
// once (SO_LINGER 0), so the client's handshake fails with a RST or EOF;
// DialContext returns ErrRefused. Live connections are not affected.
func (p *Proxy) RefuseNew(on bool) {
	p.update(func(s *settings) { s.refuse = on })
}

// ResetAll cuts every live connection abruptly: both ends are closed with
// SO_LINGER 0, so client and target see a TCP RST (or EOF) and never a
// websocket close frame. Data held or delayed in the proxy is dropped.
// It returns the number of connections cut; Conns is 0 right after unless
// new connections arrive.
func (p *Proxy) ResetAll() int {
	p.mu.Lock()
	live := p.liveLocked()
	p.mu.Unlock()
	n := 0
	for _, c := range live {
		if c.shutdown(true) {
			n++
		}
	}
	p.cuts.Add(int64(n))
	return n
}

// update applies f to the settings and wakes every waiting pump.
func (p *Proxy) update(f func(*settings)) {
	p.mu.Lock()
	f(&p.set)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

func (p *Proxy) settings() settings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set
}

// await blocks until ready reports true, re-asking it whenever the settings
// change or the time it named passes. It returns false if done closes first.
func (p *Proxy) await(done <-chan struct{}, ready func(s settings, now time.Time) (bool, time.Time)) bool {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		p.mu.Lock()
		s, changed := p.set, p.changed
		p.mu.Unlock()
		ok, at := ready(s, time.Now())
		if ok {
			return true
		}
		var tick <-chan time.Time
		if !at.IsZero() {
			if t == nil {
				t = time.NewTimer(time.Until(at))
			} else {
				t.Reset(time.Until(at))
			}
			tick = t.C
		}
		select {
		case <-tick:
		case <-changed:
		case <-done:
			return false
		}
	}
}
