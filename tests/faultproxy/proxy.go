package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// listenAddr is the only address a Proxy ever listens on.
const listenAddr = "127.0.0.1:0"

// acceptRetry is the pause after an accept error other than a closed listener.
const acceptRetry = 5 * time.Millisecond

// Proxy forwards connections to one target and injects faults on demand.
// Its methods are safe for concurrent use. Build it with New; stop it with
// Close.
type Proxy struct {
	target string
	cfg    config
	ln     net.Listener // nil with WithoutListener

	ctx    context.Context // cancelled by Close; bounds dials of accepted connections
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the proxy started

	mu      sync.Mutex
	set     settings
	changed chan struct{} // closed and replaced on every change of set
	conns   map[*conn]struct{}
	closed  bool

	opened, refused, dialFailures, cuts atomic.Int64
	toTarget, toClient                  atomic.Int64
}

// Stats are cumulative counters of a Proxy.
type Stats struct {
	Opened       int64 // connections forwarded to the target
	Refused      int64 // connections refused because RefuseNew was on
	DialFailures int64 // connections dropped because the target could not be dialled
	Cuts         int64 // connections cut by ResetAll
	ToTarget     int64 // bytes written to the target (data held or delayed is not counted yet)
	ToClient     int64 // bytes written to clients
}

// New starts a proxy that forwards to target (host:port). Unless
// WithoutListener is given it listens on 127.0.0.1 at a free port (see Addr).
// A target that is not host:port gives an error matching ErrBadTarget, an
// invalid option one matching ErrBadOption.
func New(target string, opts ...Option) (*Proxy, error) {
	if _, port, err := net.SplitHostPort(target); err != nil || port == "" {
		return nil, fmt.Errorf("%w: %q is not host:port", ErrBadTarget, target)
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.dial == nil {
		var d net.Dialer
		cfg.dial = d.DialContext
	}
	p := &Proxy{
		target:  target,
		cfg:     cfg,
		set:     settings{latency: cfg.latency, throttle: cfg.throttle},
		changed: make(chan struct{}),
		conns:   make(map[*conn]struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if !cfg.noListener {
		ln, err := listen(target)
		if err != nil {
			p.cancel()
			return nil, err
		}
		p.ln = ln
		p.wg.Add(1)
		go p.acceptLoop()
	}
	return p, nil
}

// Addr is the proxy's listening address, "127.0.0.1:port"; "" with
// WithoutListener.
func (p *Proxy) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Conns is the number of live proxied connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Opened:       p.opened.Load(),
		Refused:      p.refused.Load(),
		DialFailures: p.dialFailures.Load(),
		Cuts:         p.cuts.Load(),
		ToTarget:     p.toTarget.Load(),
		ToClient:     p.toClient.Load(),
	}
}

// DialContext connects a new in-memory client through the proxy: it dials
// the target, then returns the client end of a net.Pipe whose other end the
// proxy forwards, with every fault applied as for a TCP client. network and
// addr are ignored, so it fits websocket.Dialer.NetDialContext. It fails with
// ErrClosed after Close, ErrRefused while RefuseNew is on, or the dial error;
// a nil ctx gives an error matching ErrBadOption. A net.Pipe cannot
// half-close, so an EOF from either side of such a connection (a pipe client,
// or a target reached through a pipe) closes the whole connection.
func (p *Proxy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrBadOption)
	}
	p.mu.Lock()
	closed, refuse := p.closed, p.set.refuse
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if refuse {
		p.refused.Add(1)
		return nil, ErrRefused
	}
	target, err := p.dialTarget(ctx)
	if err != nil {
		p.dialFailures.Add(1)
		return nil, fmt.Errorf("faultproxy: dial target %s: %w", p.target, err)
	}
	client, inner := net.Pipe()
	if err := p.start(inner, target); err != nil {
		client.Close()
		return nil, err
	}
	return client, nil
}

// Close closes the listener and every connection (with a normal close, not a
// reset) and waits for every goroutine the proxy started. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	live := p.liveLocked()
	p.mu.Unlock()

	p.cancel()
	var err error
	if p.ln != nil {
		err = p.ln.Close()
	}
	for _, c := range live {
		c.shutdown(false)
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.ctx.Err() != nil {
				return
			}
			select { // e.g. too many open files: retry shortly
			case <-time.After(acceptRetry):
				continue
			case <-p.ctx.Done():
				return
			}
		}
		p.handleAccepted(c)
	}
}

// handleAccepted refuses c or dials the target for it in a new goroutine.
func (p *Proxy) handleAccepted(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok && p.cfg.clientBuffer > 0 {
		_ = tc.SetReadBuffer(p.cfg.clientBuffer)
		_ = tc.SetWriteBuffer(p.cfg.clientBuffer)
	}
	p.mu.Lock()
	refuse := p.set.refuse
	p.mu.Unlock()
	if refuse {
		p.refused.Add(1)
		reset(c)
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		target, err := p.dialTarget(p.ctx)
		if err != nil {
			p.dialFailures.Add(1)
			reset(c)
			return
		}
		_ = p.start(c, target) // on ErrClosed start has closed both
	}()
}

func (p *Proxy) dialTarget(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.dialTimeout)
	defer cancel()
	return p.cfg.dial(ctx, "tcp", p.target)
}

// start registers a connection and starts its four pumps. After Close it
// closes both ends and returns ErrClosed.
func (p *Proxy) start(client, target net.Conn) error {
	c := newConn(p, client, target)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		target.Close()
		return ErrClosed
	}
	p.conns[c] = struct{}{}
	p.opened.Add(1)
	p.wg.Add(4)
	p.mu.Unlock()
	c.run()
	return nil
}

func (p *Proxy) forget(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// liveLocked returns the live connections; p.mu must be held.
func (p *Proxy) liveLocked() []*conn {
	live := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		live = append(live, c)
	}
	return live
}

// listen listens on listenAddr at a port other than target's, so a proxy
// whose target is a dead loopback port the kernel hands back to it cannot
// end up dialling itself in a loop.
func listen(target string) (net.Listener, error) {
	host, port, _ := net.SplitHostPort(target)
	self := func(ln net.Listener) bool {
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		return p == port && (host == "127.0.0.1" || host == "localhost" || host == "")
	}
	var spare []net.Listener // held open so the kernel picks another port
	defer func() {
		for _, ln := range spare {
			ln.Close()
		}
	}()
	for {
		ln, err := net.Listen("tcp", listenAddr)
		if err != nil {
			return nil, fmt.Errorf("faultproxy: listen: %w", err)
		}
		if !self(ln) {
			return ln, nil
		}
		spare = append(spare, ln)
	}
}

// reset closes c with SO_LINGER 0 so its peer sees a RST.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
