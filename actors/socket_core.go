package actors

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// socketCore is the part of a socket that outlives its actor's restarts:
// config, refs, the route table, counters, the reconnect try count, join
// pacing and the live connection. It is created once per socket slot,
// captured by the actor's producer, and is the socket's Link.
type socketCore struct {
	sys *System
	id  string
	cfg EndpointConfig
	pid *actor.PID

	refs protocol.Refs
	live atomic.Pointer[wsConn] // the open connection, nil while none
	ctr  socketCounters
	logs rateLimit // malformed-frame warnings

	// Placement, guarded by the Endpoint's mutex.
	placed int  // topics placed on it (the endpoint's topics map says which)
	full   bool // answered "too many channels joined"; cleared by a release

	mu         sync.RWMutex
	routes     map[string]route // topic -> owning session
	routesVer  atomic.Uint64    // bumped by every change of routes (under mu)
	status     messages.SocketStatus
	gen        uint64 // generation of the last connection opened
	tries      int    // failed connects since the last success
	dialErr    error  // why the last connect failed; nil once one succeeds
	attempt    uint64 // id of the last dial started
	dialCancel context.CancelFunc
	closing    bool      // Shutdown or Close began: no reconnect
	closeConn  *wsConn   // the connection closed by beginClose
	conns      []*wsConn // connections whose pumps still run (rarely more than one)
	joins      joinPacer
}

// route is where a topic's inbound frames go.
type route struct {
	pid     *actor.PID
	joinRef string   // frames with another non-null join_ref are stale
	g       *inGauge // the session's inbound gauge, nil when it has none
}

var _ Link = (*socketCore)(nil)

func newSocketCore(sys *System, id string, cfg EndpointConfig) *socketCore {
	return &socketCore{
		sys:    sys,
		id:     id,
		cfg:    cfg,
		routes: make(map[string]route),
		status: messages.SocketConnecting,
		logs:   rateLimit{period: time.Second},
	}
}

// props builds the socket actor's props; every (re)start gets a fresh
// actor around the same core.
func (c *socketCore) props() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &socketActor{core: c} }, actor.WithMailbox(newLeanMailbox))
}

// ID names the socket.
func (c *socketCore) ID() string { return c.id }

// Attach routes topic's inbound frames to session and returns the live
// generation (0 when not connected).
func (c *socketCore) Attach(topic string, session *actor.PID) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.routes[topic]
	if !ok || !r.pid.Equal(session) {
		r = route{pid: session}
	}
	c.routes[topic] = r
	c.routesVer.Add(1)
	return c.attachedGen(session)
}

// attachGauged is Attach for a session that counts its inbound frames in g
// (backpressure of the read pump).
func (c *socketCore) attachGauged(topic string, session *actor.PID, g *inGauge) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.routes[topic]
	if !ok || !r.pid.Equal(session) {
		r = route{pid: session}
	}
	r.g = g
	g.closed.Store(false)
	c.routes[topic] = r
	c.routesVer.Add(1)
	return c.attachedGen(session)
}

// attachedGen returns the live connection's generation for a session that
// just attached, or 0; when the last connect failed, the session is told why
// at once (it may have attached after that failure was broadcast), so a
// loading session shows the transport error. Called with c.mu held.
func (c *socketCore) attachedGen(session *actor.PID) uint64 {
	if cn := c.live.Load(); cn != nil {
		return cn.gen
	}
	if c.dialErr != nil {
		c.sys.as.Root.Send(session, &messages.SocketDown{Socket: c.id, Gen: 0, Reason: c.dialErr})
	}
	return 0
}

// Detach removes topic's route if it still points at session.
func (c *socketCore) Detach(topic string, session *actor.PID) {
	c.mu.Lock()
	if r, ok := c.routes[topic]; ok && r.pid.Equal(session) {
		delete(c.routes, topic)
		c.routesVer.Add(1)
		if r.g != nil {
			r.g.close()
		}
	}
	c.joins.forget(session)
	next := c.joins.release(session, c.cfg.MaxJoinsInFlight)
	gen := c.gen
	c.mu.Unlock()
	for _, pid := range next {
		c.sys.as.Root.Send(pid, &messages.JoinPermit{Gen: gen})
	}
}

// SetJoinRef records the join_ref of topic's current join.
func (c *socketCore) SetJoinRef(topic, joinRef string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.routes[topic]; ok {
		r.joinRef = joinRef
		c.routes[topic] = r
		c.routesVer.Add(1)
	}
}

// NextRef hands out the socket's next ref (SPEC K3).
func (c *socketCore) NextRef() string { return c.refs.Next() }

// Send queues f on connection gen without blocking (SPEC K7).
func (c *socketCore) Send(gen uint64, f *protocol.Frame, from *actor.PID) error {
	cn := c.live.Load()
	if cn == nil || cn.gen != gen {
		return messages.ErrNotConnected
	}
	return cn.enqueue(f, from)
}

// AcquireJoin asks to send a join on connection gen (SPEC L5).
func (c *socketCore) AcquireJoin(gen uint64, session *actor.PID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == 0 || gen != c.gen || c.live.Load() == nil {
		return false // a SocketUp follows, and the session asks again
	}
	return c.joins.acquire(session, c.cfg.MaxJoinsInFlight)
}

// ReleaseJoin ends a join allowed on connection gen and lets the next
// waiting session go.
func (c *socketCore) ReleaseJoin(gen uint64, session *actor.PID) {
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		return
	}
	next := c.joins.release(session, c.cfg.MaxJoinsInFlight)
	c.mu.Unlock()
	for _, pid := range next {
		c.sys.as.Root.Send(pid, &messages.JoinPermit{Gen: gen})
	}
}

// route delivers an inbound frame of connection gen to the session owning
// its topic and join_ref, or drops and counts it (SPEC K5). f.Payload may
// alias the read buffer: it is copied once for delivery. It returns the
// gauge of the session delivered to, if it has one, for the read pump to
// wait on.
func (c *socketCore) route(gen uint64, f *protocol.Frame, rc *routeCache) *inGauge {
	if f.Topic == protocol.TopicPhoenix {
		if f.Event == protocol.EventReply && f.Ref != "" {
			c.sys.as.Root.Send(c.pid, &hbReply{gen: gen, ref: f.Ref, at: time.Now()})
			return nil
		}
		c.ctr.droppedUnknown.Add(1)
		return nil
	}
	r, ok := rc.lookup(c, f.Topic)
	if !ok {
		c.ctr.droppedUnknown.Add(1)
		return nil
	}
	if f.JoinRef != "" && f.JoinRef != r.joinRef {
		c.ctr.droppedStale.Add(1)
		return nil
	}
	f.Payload = bytes.Clone(f.Payload)
	if r.g == nil {
		c.sys.as.Root.Send(r.pid, &messages.FrameIn{Gen: gen, Frame: *f})
		return nil
	}
	r.g.n.Add(1)
	inline := f.Event != protocol.EventReply
	c.sys.as.Root.Send(r.pid, &inbound{FrameIn: messages.FrameIn{Gen: gen, Frame: *f}, g: r.g, inline: inline})
	return r.g
}

// routeCache is a read pump's last route: a flood on one topic skips the
// lock and the map (a cache miss with 100,000 routes). Any change of the
// routes invalidates it.
type routeCache struct {
	topic string
	r     route
	ver   uint64
}

func (rc *routeCache) lookup(c *socketCore, topic string) (route, bool) {
	v := c.routesVer.Load()
	if rc.ver == v && rc.topic == topic && rc.r.pid != nil {
		return rc.r, true
	}
	c.mu.RLock()
	r, ok := c.routes[topic]
	v = c.routesVer.Load()
	c.mu.RUnlock()
	if ok {
		*rc = routeCache{topic: topic, r: r, ver: v}
	}
	return r, ok
}

// malformed counts and logs (rate-limited) an inbound frame that did not
// decode (SPEC W6). The connection stays up.
func (c *socketCore) malformed(err error, size int) {
	c.ctr.droppedMalformed.Add(1)
	if ok, suppressed := c.logs.allow(time.Now()); ok {
		c.sys.logger.Warn("phx: dropped a malformed frame", "socket", c.id, "bytes", size,
			"error", err, "suppressed", suppressed)
	}
}

// sessions lists the PIDs of the routed sessions.
func (c *socketCore) sessions() []*actor.PID {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*actor.PID, 0, len(c.routes))
	for _, r := range c.routes {
		out = append(out, r.pid)
	}
	return out
}

// broadcast sends msg to every routed session.
func (c *socketCore) broadcast(msg any) {
	for _, pid := range c.sessions() {
		c.sys.as.Root.Send(pid, msg)
	}
}

// setStatus records st and tells the endpoint's status handler.
func (c *socketCore) setStatus(ev messages.SocketEvent) {
	c.mu.Lock()
	c.status = ev.Status
	c.mu.Unlock()
	ev.Socket = c.id
	ev.HeartbeatRTT = time.Duration(c.ctr.rtt.Load())
	if h := c.cfg.OnStatus; h != nil {
		h(ev)
	}
}

// Status returns the socket's connection status.
func (c *socketCore) Status() messages.SocketStatus {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.status
}

// beginClose starts the graceful close of Shutdown: no reconnect, the dial
// in flight is cancelled, the live connection writes its queue, sends a
// normal close (1000) and waits for the server's (SPEC K9).
func (c *socketCore) beginClose() {
	c.mu.Lock()
	c.closing = true
	if c.dialCancel != nil {
		c.dialCancel()
	}
	cn := c.live.Load()
	c.closeConn = cn
	c.mu.Unlock()
	if cn != nil {
		c.setStatus(messages.SocketEvent{Status: messages.SocketClosing, Gen: cn.gen})
		cn.closeGracefully()
	}
}

// waitClosed waits for the connection beginClose closed.
func (c *socketCore) waitClosed(ctx context.Context) error {
	c.mu.RLock()
	cn := c.closeConn
	c.mu.RUnlock()
	if cn == nil {
		return nil
	}
	select {
	case <-cn.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abortAll closes every connection of the socket at once (Close).
func (c *socketCore) abortAll() {
	c.mu.Lock()
	c.closing = true
	if c.dialCancel != nil {
		c.dialCancel()
	}
	conns := append([]*wsConn(nil), c.conns...)
	c.mu.Unlock()
	for _, cn := range conns {
		cn.fail(messages.ErrClosed)
	}
}

// connDone forgets a connection whose pumps have ended.
func (c *socketCore) connDone(cn *wsConn) {
	c.mu.Lock()
	for i, x := range c.conns {
		if x == cn {
			c.conns = append(c.conns[:i:i], c.conns[i+1:]...)
			break
		}
	}
	if len(c.conns) == 0 {
		c.conns = nil
	}
	c.mu.Unlock()
}

// DroppedUnknownRef counts a reply a session could not match (Link).
func (c *socketCore) DroppedUnknownRef() { c.ctr.droppedUnknownRef.Add(1) }
