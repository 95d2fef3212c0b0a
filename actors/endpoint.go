package actors

import (
	"strconv"
	"sync"

	"github.com/rvct/phoenix/messages"
)

// Endpoint is a pool of sockets to one URL. It places topics on sockets with
// room, at most MaxChannelsPerSocket a socket, opening sockets as needed
// (SPEC K6a), and never places one topic twice on one socket (SPEC K6).
// Placement is a synchronous, locked call usable from any goroutine.
type Endpoint struct {
	sys *System
	id  string
	seq string // "1" for the System's first endpoint: names its sessions' actors
	cfg EndpointConfig

	mu     sync.Mutex
	slots  []*socketCore
	topics map[string]*socketCore // topic -> the socket it is placed on
}

// ID names the endpoint: its URL without query or user info, with "~n"
// appended for the n-th endpoint of the same URL.
func (ep *Endpoint) ID() string { return ep.id }

// Config returns the endpoint's configuration, defaults filled in.
func (ep *Endpoint) Config() EndpointConfig { return ep.cfg }

// Place returns a socket for topic: the one it is already placed on, else the
// first socket with room, else a new socket. avoid (may be nil) is a socket
// that answered "too many channels joined": the topic leaves it, it counts as
// full until one of its topics is released, and another is chosen (SPEC K6a).
func (ep *Endpoint) Place(topic string, avoid Link) (Link, error) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.sys.running() {
		return nil, messages.ErrClosed
	}
	if av, ok := avoid.(*socketCore); ok && av != nil {
		av.full = true
		if ep.topics[topic] == av {
			delete(ep.topics, topic)
			av.placed--
		}
	}
	if c := ep.topics[topic]; c != nil {
		return c, nil
	}
	var pick *socketCore
	for _, c := range ep.slots {
		if !c.full && c.placed < ep.cfg.MaxChannelsPerSocket {
			pick = c
			break
		}
	}
	if pick == nil {
		c, err := ep.openSocket()
		if err != nil {
			return nil, err
		}
		pick = c
	}
	pick.placed++
	ep.topics[topic] = pick
	return pick, nil
}

// Release records that topic left socket l, freeing its slot.
func (ep *Endpoint) Release(topic string, l Link) {
	c, ok := l.(*socketCore)
	if !ok || c == nil {
		return
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.topics[topic] == c {
		delete(ep.topics, topic)
		c.placed--
		c.full = false
	}
}

// openSocket spawns a new socket actor; ep.mu is held.
func (ep *Endpoint) openSocket() (*socketCore, error) {
	n := len(ep.slots) + 1
	c := newSocketCore(ep.sys, ep.id+"#"+strconv.Itoa(n), ep.cfg)
	pid, err := ep.sys.sockRoot.SpawnNamed(c.props(), "socket/"+c.id)
	if err != nil {
		return nil, err
	}
	c.pid = pid
	ep.slots = append(ep.slots, c)
	return c, nil
}

// sockets lists the endpoint's sockets.
func (ep *Endpoint) sockets() []*socketCore {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]*socketCore(nil), ep.slots...)
}

// Stats returns a snapshot of the endpoint's sockets' counters.
func (ep *Endpoint) Stats() EndpointStats {
	ep.mu.Lock()
	slots := append([]*socketCore(nil), ep.slots...)
	placed := make([]int, len(slots))
	for i, c := range slots {
		placed[i] = c.placed
	}
	ep.mu.Unlock()
	st := EndpointStats{ID: ep.id, Sockets: make([]SocketStats, len(slots))}
	for i, c := range slots {
		st.Sockets[i] = c.stats(placed[i])
		st.Channels += placed[i]
	}
	return st
}
