package supervisor

import (
	"time"

	"github.com/rvct/phoenix/actors"
)

// SocketStats is a snapshot of one socket's counters; they only grow over
// the socket's life. A Prometheus collector can wrap Supervisor.Stats.
type SocketStats struct {
	ID       string
	Status   SocketStatus
	Gen      uint64 // connection generation: number of successful connects
	Channels int    // topics placed on the socket

	FramesIn  uint64 // websocket messages read
	FramesOut uint64 // websocket messages written
	BytesIn   uint64
	BytesOut  uint64

	DroppedUnknownTopic uint64 // inbound frames for a topic with no session (SPEC K5)
	DroppedStaleJoinRef uint64 // inbound frames of an older join of their topic (SPEC K5)
	DroppedMalformed    uint64 // inbound frames that did not decode (SPEC W6)
	DroppedUnknownRef   uint64 // heartbeat-topic replies to no pending heartbeat
	QueueFull           uint64 // pushes refused: write queue full (SPEC K7)
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
	Channels int // topics placed on its sockets
	Sockets  []SocketStats
}

// Stats is a snapshot of a Supervisor's counters.
type Stats struct {
	Endpoints     []EndpointStats
	Sessions      int    // sessions alive
	SessionPanics uint64 // panics that escaped a session actor (each resumed)
}

// Totals sums the counters of every socket. ID and Status are empty; Gen is
// the sum of generations; HeartbeatRTT is the largest last round trip.
func (s Stats) Totals() SocketStats {
	var t SocketStats
	for _, e := range s.Endpoints {
		for _, k := range e.Sockets {
			t.Gen += k.Gen
			t.Channels += k.Channels
			t.FramesIn += k.FramesIn
			t.FramesOut += k.FramesOut
			t.BytesIn += k.BytesIn
			t.BytesOut += k.BytesOut
			t.DroppedUnknownTopic += k.DroppedUnknownTopic
			t.DroppedStaleJoinRef += k.DroppedStaleJoinRef
			t.DroppedMalformed += k.DroppedMalformed
			t.DroppedUnknownRef += k.DroppedUnknownRef
			t.QueueFull += k.QueueFull
			t.PushesFailed += k.PushesFailed
			t.Connects += k.Connects
			t.Reconnects += k.Reconnects
			t.ConnectFailures += k.ConnectFailures
			t.Disconnects += k.Disconnects
			t.HeartbeatsSent += k.HeartbeatsSent
			t.HeartbeatTimeouts += k.HeartbeatTimeouts
			t.HeartbeatRTT = max(t.HeartbeatRTT, k.HeartbeatRTT)
		}
	}
	return t
}

// Stats returns a snapshot of every endpoint's counters.
func (s *Supervisor) Stats() Stats {
	s.mu.Lock()
	eps := append([]*Endpoint(nil), s.endpoints...)
	s.mu.Unlock()
	st := Stats{
		Endpoints:     make([]EndpointStats, len(eps)),
		Sessions:      s.sys.Sessions(),
		SessionPanics: s.sys.SessionPanics(),
	}
	for i, e := range eps {
		st.Endpoints[i] = e.Stats()
	}
	return st
}

// Stats returns a snapshot of the endpoint's sockets' counters.
func (e *Endpoint) Stats() EndpointStats {
	in := e.inner.Stats()
	out := EndpointStats{ID: in.ID, Channels: in.Channels, Sockets: make([]SocketStats, len(in.Sockets))}
	for i, k := range in.Sockets {
		out.Sockets[i] = SocketStats(k)
	}
	return out
}

var _ = actors.SocketStats(SocketStats{}) // the two stay field-for-field identical
