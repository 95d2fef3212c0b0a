package phxtest

import (
	"sync"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// pubsub maps each topic to the channels subscribed to it, one per
// connection (Phoenix's fastlane: a broadcast goes straight to each
// subscriber's transport, not through the channel processes).
type pubsub struct {
	mu     sync.RWMutex
	topics map[string]map[*Conn]*ChannelSocket
	total  int
}

func (s *Server) subscribe(ch *ChannelSocket) {
	s.ps.mu.Lock()
	if s.ps.topics == nil {
		s.ps.topics = map[string]map[*Conn]*ChannelSocket{}
	}
	subs := s.ps.topics[ch.topic]
	if subs == nil {
		subs = map[*Conn]*ChannelSocket{}
		s.ps.topics[ch.topic] = subs
	}
	if _, had := subs[ch.conn]; !had {
		s.ps.total++
	}
	subs[ch.conn] = ch
	s.ps.mu.Unlock()
	s.changed.fire()
}

func (s *Server) unsubscribe(ch *ChannelSocket) {
	s.ps.mu.Lock()
	subs := s.ps.topics[ch.topic]
	if subs[ch.conn] == ch {
		delete(subs, ch.conn)
		s.ps.total--
		if len(subs) == 0 {
			delete(s.ps.topics, ch.topic)
		}
	}
	s.ps.mu.Unlock()
	s.changed.fire()
}

// encodedFrame caches a broadcast frame's encodings per serializer.
type encodedFrame struct {
	f        outFrame
	v2, v1   []byte
	v2op     int
	v2e, v1e error
	v2d, v1d bool
}

func (e *encodedFrame) get(ser protocol.Serializer) ([]byte, int, error) {
	if ser == protocol.V1 {
		if !e.v1d {
			e.v1, _, e.v1e = e.f.encode(ser)
			e.v1d = true
		}
		return e.v1, websocket.TextMessage, e.v1e
	}
	if !e.v2d {
		var bin bool
		e.v2, bin, e.v2e = e.f.encode(ser)
		e.v2op = websocket.TextMessage
		if bin {
			e.v2op = websocket.BinaryMessage
		}
		e.v2d = true
	}
	return e.v2, e.v2op, e.v2e
}

// broadcast sends [null, null, topic, event, payload] to every connection
// subscribed to topic except from. The frame is encoded once per
// serializer. It returns after the frame is in every subscriber's queue.
func (s *Server) broadcast(topic, event string, p Payload, from *Conn) error {
	if p.err != nil {
		return p.err
	}
	s.stats.broadcasts.Add(1)
	enc := encodedFrame{f: outFrame{topic: topic, event: event, payload: p.wire(), binary: p.binary}}
	s.ps.mu.RLock()
	defer s.ps.mu.RUnlock()
	for c := range s.ps.topics[topic] {
		if c == from {
			continue
		}
		data, op, err := enc.get(c.ser)
		if err != nil {
			continue // a binary broadcast cannot reach a vsn 1.0.0 socket
		}
		c.w.push(op, data)
	}
	return nil
}

// Broadcast sends event with payload p to every connection subscribed to
// topic, as Endpoint.broadcast does: [null, null, topic, event, p] (kind 2
// for a binary p).
func (s *Server) Broadcast(topic, event string, p Payload) error {
	return s.broadcast(topic, event, p, nil)
}

// JoinCount returns how many channels are joined on topic (one per
// connection at most).
func (s *Server) JoinCount(topic string) int {
	s.ps.mu.RLock()
	defer s.ps.mu.RUnlock()
	return len(s.ps.topics[topic])
}

// ChannelCount returns how many channels are joined on all connections.
func (s *Server) ChannelCount() int {
	s.ps.mu.RLock()
	defer s.ps.mu.RUnlock()
	return s.ps.total
}

// Channels returns the channels joined on topic, one per connection, in
// connection order.
func (s *Server) Channels(topic string) []*ChannelSocket {
	s.ps.mu.RLock()
	out := make([]*ChannelSocket, 0, len(s.ps.topics[topic]))
	for _, ch := range s.ps.topics[topic] {
		out = append(out, ch)
	}
	s.ps.mu.RUnlock()
	sortChannels(out)
	return out
}

// CrashChannel crashes every channel joined on topic (after the messages
// each has queued): each client gets phx_error with ref = join_ref, as when
// a channel process dies. It returns how many were crashed.
func (s *Server) CrashChannel(topic string) int {
	chans := s.Channels(topic)
	for _, ch := range chans {
		ch.Crash()
	}
	return len(chans)
}
