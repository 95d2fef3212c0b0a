package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// bridgeSpec is what the bridge forwards and how it tracks cursors.
type bridgeSpec struct {
	events      map[string]bool // forwarded live events; nil: all
	cursorParam string          // join param carrying the last cursor ("" none)
	cursorField string          // payload field holding an item's cursor, dotted path ("" none)
	replayField string          // array in the join reply whose items are forwarded
	replayEvent string          // event name of the replayed items
	window      int             // cursors remembered per topic for deduplication
}

// bridgeItem is one forwarded line, already encoded.
type bridgeItem struct {
	topic string
	line  []byte
}

// bridgeLine is the JSON of a forwarded event.
type bridgeLine struct {
	Topic   string          `json:"topic"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
	Binary  bool            `json:"binary,omitempty"`
}

// bridgeTopic is one topic's forwarding state: its last cursor and the
// cursors already forwarded. Its methods run on the topic's session actor
// (events and join replies, in order) and, for the report, anywhere.
type bridgeTopic struct {
	topic string
	spec  *bridgeSpec
	base  map[string]json.RawMessage // --join-payload

	mu         sync.Mutex
	last       json.RawMessage // cursor of the last forwarded item; nil before one
	seen       dedup
	accepted   int64 // queued for the sink
	replayed   int64 // of accepted: items of join replies
	duplicates int64 // items skipped: cursor already forwarded
	delivered  int64 // written to the sink
}

func newBridgeTopic(topic string, spec *bridgeSpec, base map[string]json.RawMessage, start json.RawMessage) *bridgeTopic {
	return &bridgeTopic{topic: topic, spec: spec, base: base, last: start, seen: newDedup(spec.window)}
}

// joinParams are the params of the next (re)join: --join-payload plus the
// last forwarded item's cursor.
func (t *bridgeTopic) joinParams() map[string]json.RawMessage {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]json.RawMessage, len(t.base)+1)
	for k, v := range t.base {
		out[k] = v
	}
	if t.spec.cursorParam != "" && t.last != nil {
		out[t.spec.cursorParam] = t.last
	}
	return out
}

// event forwards a live event unless filtered out or already forwarded.
func (t *bridgeTopic) event(event string, payload []byte, put func(bridgeItem)) {
	if t.spec.events != nil && !t.spec.events[event] {
		return
	}
	t.forward(event, payload, false, put)
}

// joinReply forwards the items of the join reply's replay field.
func (t *bridgeTopic) joinReply(reply []byte, put func(bridgeItem)) {
	if t.spec.replayField == "" {
		return
	}
	raw, ok := fieldAt(reply, t.spec.replayField)
	if !ok {
		return
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return
	}
	for _, it := range items {
		t.forward(t.spec.replayEvent, it, true, put)
	}
}

func (t *bridgeTopic) forward(event string, payload []byte, replay bool, put func(bridgeItem)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spec.cursorField != "" {
		if key, raw, ok := cursorOf(payload, t.spec.cursorField); ok {
			if !t.seen.add(key) {
				t.duplicates++
				return
			}
			t.last = raw
		}
	}
	p, binary := payloadJSON(payload)
	line, _ := json.Marshal(bridgeLine{Topic: t.topic, Event: event, Payload: p, Binary: binary})
	t.accepted++
	if replay {
		t.replayed++
	}
	put(bridgeItem{topic: t.topic, line: line})
}

// cursorOf reads an item's cursor at path (dotted, e.g. "meta.id"): a
// string or a number. key compares cursors ("7" and 7 are the same); raw is
// the JSON value, sent back as the join param.
func cursorOf(payload []byte, path string) (key string, raw json.RawMessage, ok bool) {
	v, ok := fieldAt(payload, path)
	if !ok {
		return "", nil, false
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", nil, false
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", nil, false
		}
		return s, v, true
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return "", nil, false
		}
		return n.String(), v, true
	}
	return "", nil, false
}

// fieldAt returns the JSON at a dotted path of objects.
func fieldAt(doc []byte, path string) (json.RawMessage, bool) {
	cur := json.RawMessage(doc)
	for _, part := range strings.Split(path, ".") {
		var m map[string]json.RawMessage
		if json.Unmarshal(cur, &m) != nil {
			return nil, false
		}
		v, ok := m[part]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// dedup remembers the last max keys added.
type dedup struct {
	set  map[string]struct{}
	ring []string // the keys in the order added, wrapping at max
	next int      // oldest key once the ring is full
	max  int
}

func newDedup(max int) dedup {
	return dedup{set: make(map[string]struct{}), max: max}
}

// add records key; false when it is already remembered.
func (d *dedup) add(key string) bool {
	if _, ok := d.set[key]; ok {
		return false
	}
	d.set[key] = struct{}{}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, key)
		return true
	}
	delete(d.set, d.ring[d.next])
	d.ring[d.next] = key
	d.next = (d.next + 1) % d.max
	return true
}
