package actors

import (
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/messages"
)

// SocketStats is a snapshot of one socket's counters. Counters only grow
// over the socket's life; reconnects do not reset them.
type SocketStats struct {
	ID       string
	Status   messages.SocketStatus
	Gen      uint64 // connection generation: number of successful connects
	Channels int    // topics placed on the socket

	FramesIn  uint64 // websocket messages read
	FramesOut uint64 // websocket messages written
	BytesIn   uint64
	BytesOut  uint64

	DroppedUnknownTopic uint64 // inbound frames for a topic with no session (SPEC K5)
	DroppedStaleJoinRef uint64 // inbound frames of an older join of the topic (SPEC K5)
	DroppedMalformed    uint64 // inbound frames that did not decode (SPEC W6)
	DroppedUnknownRef   uint64 // replies to no pending heartbeat, call or join (or unparseable replies)
	QueueFull           uint64 // pushes refused because the write queue was full (SPEC K7)
	PushesFailed        uint64 // queued frames never written: the connection died first

	Connects          uint64 // successful connects
	Reconnects        uint64 // successful connects after the first
	ConnectFailures   uint64 // dials that failed
	Disconnects       uint64 // connections that ended without the user asking
	HeartbeatsSent    uint64
	HeartbeatTimeouts uint64
	// HeartbeatRTT is the last heartbeat round trip (0 before the first reply).
	HeartbeatRTT time.Duration
}

// EndpointStats is a snapshot of one endpoint's sockets.
type EndpointStats struct {
	ID       string
	Channels int
	Sockets  []SocketStats
}

// socketCounters are a socket's live counters.
type socketCounters struct {
	framesIn, framesOut, bytesIn, bytesOut          atomic.Uint64
	droppedUnknown, droppedStale, droppedMalformed  atomic.Uint64
	droppedUnknownRef                               atomic.Uint64
	queueFull, pushesFailed                         atomic.Uint64
	connects, reconnects, connectFailures, disconns atomic.Uint64
	heartbeatsSent, heartbeatTimeouts               atomic.Uint64
	rtt                                             atomic.Int64
}

// stats returns the socket's snapshot; channels comes from the endpoint.
func (c *socketCore) stats(channels int) SocketStats {
	k := &c.ctr
	c.mu.RLock()
	st := SocketStats{ID: c.id, Status: c.status, Gen: c.gen, Channels: channels}
	c.mu.RUnlock()
	st.FramesIn, st.FramesOut = k.framesIn.Load(), k.framesOut.Load()
	st.BytesIn, st.BytesOut = k.bytesIn.Load(), k.bytesOut.Load()
	st.DroppedUnknownTopic = k.droppedUnknown.Load()
	st.DroppedStaleJoinRef = k.droppedStale.Load()
	st.DroppedMalformed = k.droppedMalformed.Load()
	st.DroppedUnknownRef = k.droppedUnknownRef.Load()
	st.QueueFull, st.PushesFailed = k.queueFull.Load(), k.pushesFailed.Load()
	st.Connects, st.Reconnects = k.connects.Load(), k.reconnects.Load()
	st.ConnectFailures, st.Disconnects = k.connectFailures.Load(), k.disconns.Load()
	st.HeartbeatsSent, st.HeartbeatTimeouts = k.heartbeatsSent.Load(), k.heartbeatTimeouts.Load()
	st.HeartbeatRTT = time.Duration(k.rtt.Load())
	return st
}
