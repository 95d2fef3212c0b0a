package phxtest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"maps"
	"sort"
	"sync"
)

// presence is the server's presence tracker (Phoenix.Presence on one node).
type presence struct {
	mu     sync.Mutex
	topics map[string][]*presenceEntry // in tracking order
}

type presenceEntry struct {
	ch   *ChannelSocket
	key  string
	meta map[string]any // includes "phx_ref"
}

type presenceGroup map[string]map[string][]map[string]any // key -> {"metas": [...]}

func group(entries []*presenceEntry) presenceGroup {
	g := presenceGroup{}
	for _, e := range entries {
		m := g[e.key]
		if m == nil {
			m = map[string][]map[string]any{"metas": nil}
			g[e.key] = m
		}
		m["metas"] = append(m["metas"], e.meta)
	}
	return g
}

// Track tracks key on the channel's topic with meta (Presence.track): every
// subscriber, this one included, gets a presence_diff with the join. The
// presence leaves when the channel ends (its presence_diff follows the
// channel's phx_close). The server adds "phx_ref" to meta.
func (s *ChannelSocket) Track(key string, meta map[string]any) error {
	if s.state.Load() != stateJoined {
		return ErrNotJoined
	}
	m := make(map[string]any, len(meta)+1)
	maps.Copy(m, meta)
	m["phx_ref"] = s.srv.newPhxRef()
	e := &presenceEntry{ch: s, key: key, meta: m}
	srv := s.srv
	srv.pres.mu.Lock()
	if srv.pres.topics == nil {
		srv.pres.topics = map[string][]*presenceEntry{}
	}
	srv.pres.topics[s.topic] = append(srv.pres.topics[s.topic], e)
	srv.pres.mu.Unlock()
	return srv.broadcast(s.topic, "presence_diff", presenceDiff([]*presenceEntry{e}, nil), nil)
}

func presenceDiff(joins, leaves []*presenceEntry) Payload {
	return JSON(map[string]presenceGroup{"joins": group(joins), "leaves": group(leaves)})
}

// untrackChannel removes the channel's presences and broadcasts their leave.
func (s *Server) untrackChannel(ch *ChannelSocket) {
	s.pres.mu.Lock()
	entries := s.pres.topics[ch.topic]
	var gone []*presenceEntry
	kept := entries[:0:0]
	for _, e := range entries {
		if e.ch == ch {
			gone = append(gone, e)
		} else {
			kept = append(kept, e)
		}
	}
	if gone != nil {
		if len(kept) == 0 {
			delete(s.pres.topics, ch.topic)
		} else {
			s.pres.topics[ch.topic] = kept
		}
	}
	s.pres.mu.Unlock()
	if gone != nil {
		_ = s.broadcast(ch.topic, "presence_diff", presenceDiff(nil, gone), nil)
	}
}

// PresenceState returns the presence list of topic as Phoenix pushes it in
// presence_state: {key: {"metas": [meta, ...]}}, metas in tracking order.
func (s *Server) PresenceState(topic string) Payload {
	s.pres.mu.Lock()
	g := group(s.pres.topics[topic])
	b, err := json.Marshal(g)
	s.pres.mu.Unlock()
	if err != nil {
		return Payload{err: err}
	}
	return Payload{data: b}
}

// PresenceKeys returns the keys present on topic, sorted.
func (s *Server) PresenceKeys(topic string) []string {
	s.pres.mu.Lock()
	defer s.pres.mu.Unlock()
	seen := map[string]bool{}
	var keys []string
	for _, e := range s.pres.topics[topic] {
		if !seen[e.key] {
			seen[e.key] = true
			keys = append(keys, e.key)
		}
	}
	sort.Strings(keys)
	return keys
}

// newPhxRef returns a unique presence ref: 16 URL-safe characters, like
// Phoenix's.
func (s *Server) newPhxRef() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], s.nonce)
	binary.BigEndian.PutUint64(b[4:], s.refSeq.Add(1))
	return base64.RawURLEncoding.EncodeToString(b[:])
}
