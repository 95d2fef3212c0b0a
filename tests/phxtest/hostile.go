package phxtest

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/rvct/phoenix/protocol"
)

// HostileKind says what a correct client does with a hostile frame: every
// kind is dropped or handled without a panic, and never disturbs another
// session.
type HostileKind int

// Hostile frame kinds.
const (
	// HostileMalformed frames do not decode: bad JSON, wrong arity, wrong
	// element types, truncated or unknown binary frames. The client drops
	// and counts them; the connection stays up (SPEC W6).
	HostileMalformed HostileKind = iota + 1
	// HostileUnknownTopic frames decode but are for a topic the client has
	// not joined: dropped and counted (SPEC K5).
	HostileUnknownTopic
	// HostileStaleJoin frames are for the joined topic with another
	// join_ref, as from an older join: dropped and counted (SPEC K5).
	HostileStaleJoin
	// HostileUnknownRef frames are replies to refs the client never sent
	// (on the joined topic, or heartbeat replies): nothing to answer, so
	// they are dropped.
	HostileUnknownRef
	// HostileBadPayload frames are events of the joined topic whose payload
	// does not decode into HostileEventPayload (a string, an array, a
	// number, a field of the wrong type, binary data): the session drops
	// the event (SPEC E3).
	HostileBadPayload
	// HostileLarge is a well-formed event of the joined topic with a large
	// payload (HostileTarget.LargeSize bytes), under the client's read
	// limit: a correct client applies it.
	HostileLarge
	// HostileOversized is a message of HostileTarget.OversizeSize bytes,
	// meant to exceed the client's read limit: the client closes the
	// connection (1009) and reconnects.
	HostileOversized
)

var hostileKindNames = [...]string{"", "malformed", "unknown_topic", "stale_join", "unknown_ref", "bad_payload", "large", "oversized"}

// String returns the kind's name, e.g. "malformed".
func (k HostileKind) String() string {
	if k > 0 && int(k) < len(hostileKindNames) {
		return hostileKindNames[k]
	}
	return "hostile(" + strconv.Itoa(int(k)) + ")"
}

// HostileKinds lists every kind, in order.
func HostileKinds() []HostileKind {
	return []HostileKind{HostileMalformed, HostileUnknownTopic, HostileStaleJoin, HostileUnknownRef,
		HostileBadPayload, HostileLarge, HostileOversized}
}

// HostileFrame is one websocket message no honest server sends.
type HostileFrame struct {
	Name   string      // what is wrong with it, e.g. "arity 4"
	Kind   HostileKind // what a correct client does with it
	Data   []byte
	Binary bool // a binary websocket message, else text
}

// HostileTarget aims hostile frames at one channel of a connection.
type HostileTarget struct {
	// Topic is a topic the client has joined; JoinRef its current join_ref.
	Topic   string
	JoinRef string
	// Event is an event the client handles with a HostileEventPayload;
	// HostileBadPayload and HostileLarge frames use it. Default "hostile".
	Event string
	// LargeSize is the payload size of the HostileLarge frame; 0 leaves it
	// out.
	LargeSize int
	// OversizeSize is the size of the HostileOversized message (a text
	// event of Topic whose payload is a long string, when the size is over
	// 100 bytes); 0 leaves it out.
	OversizeSize int
}

// HostileEventPayload is the payload type a client under test decodes
// HostileTarget.Event into: HostileBadPayload frames do not decode into it,
// the HostileLarge frame does (N is 1).
type HostileEventPayload struct {
	N   int    `json:"n"`
	Pad string `json:"pad"`
}

// HostileUnjoinedTopic is the topic of HostileUnknownTopic frames; a client
// under test must not join it.
const HostileUnjoinedTopic = "hostile:unjoined"

// Refs hostile frames use for what the client never sent. They are large
// so they do not collide with a client's refs in a test.
const (
	hostileStaleJoinRef = "9000000001"
	hostileUnknownRef   = "9000000002"
)

// HostileFrames returns the catalogue of hostile vsn 2.0.0 frames aimed at
// t, in a fixed order: malformed text and binary frames, frames for an
// unjoined topic, frames of a stale join, replies to unknown refs, events
// with payloads of the wrong type, and the large and oversized messages
// when their sizes are set.
func HostileFrames(t HostileTarget) []HostileFrame {
	ev := t.Event
	if ev == "" {
		ev = "hostile"
	}
	topic, jr := q(t.Topic), q(t.JoinRef)
	text := func(kind HostileKind, name, s string) HostileFrame {
		return HostileFrame{Name: name, Kind: kind, Data: []byte(s)}
	}
	bin := func(kind HostileKind, name string, b []byte) HostileFrame {
		return HostileFrame{Name: name, Kind: kind, Data: b, Binary: true}
	}
	binFrame := func(f protocol.Frame) []byte {
		b, err := protocol.AppendBinaryServer(nil, &f)
		if err != nil { // a topic or ref over 255 bytes: send it truncated
			return append(b, protocol.KindBroadcast, 255)
		}
		return b
	}
	deep := strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) // past encoding/json's 10,000 levels
	okReply := `{"status":"ok","response":{}}`
	out := []HostileFrame{
		text(HostileMalformed, "not json", `hello, client`),
		text(HostileMalformed, "empty message", ``),
		text(HostileMalformed, "null", `null`),
		text(HostileMalformed, "object, not array", `{"topic":`+topic+`,"event":"`+ev+`","payload":{},"ref":null}`),
		text(HostileMalformed, "truncated", `[null,null,`+topic+`,"`+ev+`",{"a":`),
		text(HostileMalformed, "empty array", `[]`),
		text(HostileMalformed, "arity 3", `[null,null,`+topic+`]`),
		text(HostileMalformed, "arity 4", `[null,null,`+topic+`,"`+ev+`"]`),
		text(HostileMalformed, "numeric ref", `[null,1,`+topic+`,"`+ev+`",{}]`),
		text(HostileMalformed, "object join_ref", `[{},null,`+topic+`,"`+ev+`",{}]`),
		text(HostileMalformed, "numeric topic", `[null,null,7,"`+ev+`",{}]`),
		text(HostileMalformed, "null event", `[null,null,`+topic+`,null,{}]`),
		text(HostileMalformed, "array event", `[null,null,`+topic+`,["`+ev+`"],{}]`),
		text(HostileMalformed, "bad escape", `[null,null,"a\qb","`+ev+`",{}]`),
		text(HostileMalformed, "bad payload JSON", `[null,null,`+topic+`,"`+ev+`",{"a":tru}]`),
		text(HostileMalformed, "data after frame", `[null,null,`+topic+`,"`+ev+`",{}] []`),
		text(HostileMalformed, "deep nesting", `[null,null,`+topic+`,"`+ev+`",`+deep+`]`),
		bin(HostileMalformed, "binary empty", []byte{}),
		bin(HostileMalformed, "binary unknown kind", []byte{9, 1, 1, 'a', 'b'}),
		bin(HostileMalformed, "binary truncated header", []byte{protocol.KindPush, 5}),
		bin(HostileMalformed, "binary push lengths past end", []byte{protocol.KindPush, 10, 10, 10, 'a'}),
		bin(HostileMalformed, "binary reply truncated", []byte{protocol.KindReply, 1, 1, 1, 2, 'x'}),
		bin(HostileMalformed, "binary broadcast truncated", []byte{protocol.KindBroadcast, 200}),

		text(HostileUnknownTopic, "event, unjoined topic", `[null,null,"`+HostileUnjoinedTopic+`","`+ev+`",{}]`),
		text(HostileUnknownTopic, "reply, unjoined topic", `[null,"1","`+HostileUnjoinedTopic+`","phx_reply",`+okReply+`]`),
		text(HostileUnknownTopic, "phx_close, unjoined topic", `["1","1","`+HostileUnjoinedTopic+`","phx_close",{}]`),
		text(HostileUnknownTopic, "phoenix event", `[null,null,"phoenix","`+ev+`",{}]`),
		bin(HostileUnknownTopic, "binary broadcast, unjoined topic",
			binFrame(protocol.Frame{Topic: HostileUnjoinedTopic, Event: ev, Payload: []byte("x")})),

		text(HostileStaleJoin, "event, stale join_ref", `["`+hostileStaleJoinRef+`",null,`+topic+`,"`+ev+`",{}]`),
		text(HostileStaleJoin, "phx_error, stale join_ref", `["`+hostileStaleJoinRef+`","`+hostileStaleJoinRef+`",`+topic+`,"phx_error",{}]`),
		text(HostileStaleJoin, "phx_close, stale join_ref", `["`+hostileStaleJoinRef+`","`+hostileStaleJoinRef+`",`+topic+`,"phx_close",{}]`),
		bin(HostileStaleJoin, "binary push, stale join_ref",
			binFrame(protocol.Frame{JoinRef: hostileStaleJoinRef, Topic: t.Topic, Event: ev, Payload: []byte("x")})),

		text(HostileUnknownRef, "ok reply, unknown ref", `[`+jr+`,"`+hostileUnknownRef+`",`+topic+`,"phx_reply",`+okReply+`]`),
		text(HostileUnknownRef, "error reply, unknown ref", `[`+jr+`,"`+hostileUnknownRef+`",`+topic+`,"phx_reply",{"status":"error","response":{"reason":"x"}}]`),
		text(HostileUnknownRef, "bad reply payload, unknown ref", `[`+jr+`,"`+hostileUnknownRef+`",`+topic+`,"phx_reply",{"status":5}]`),
		text(HostileUnknownRef, "heartbeat reply, unknown ref", `[null,"`+hostileUnknownRef+`","phoenix","phx_reply",`+okReply+`]`),
		bin(HostileUnknownRef, "binary reply, unknown ref",
			binFrame(protocol.Frame{JoinRef: t.JoinRef, Ref: hostileUnknownRef, Topic: t.Topic, Event: protocol.EventReply, Status: "ok", Payload: []byte("x")})),

		text(HostileBadPayload, "string payload", `[null,null,`+topic+`,"`+ev+`","a string"]`),
		text(HostileBadPayload, "array payload", `[null,null,`+topic+`,"`+ev+`",[1,2,3]]`),
		text(HostileBadPayload, "number payload", `[null,null,`+topic+`,"`+ev+`",42]`),
		text(HostileBadPayload, "field of the wrong type", `[null,null,`+topic+`,"`+ev+`",{"n":"not a number","pad":7}]`),
		bin(HostileBadPayload, "binary payload",
			binFrame(protocol.Frame{Topic: t.Topic, Event: ev, Payload: []byte{0xff, 0x00, 0xfe}})),
	}
	if t.LargeSize > 0 {
		head, tail := `[null,null,`+topic+`,"`+ev+`",{"n":1,"pad":"`, `"}]`
		pad := strings.Repeat("x", max(t.LargeSize-len(head)-len(tail), 0))
		out = append(out, text(HostileLarge, "large payload", head+pad+tail))
	}
	if t.OversizeSize > 0 {
		b := bytes.Repeat([]byte("x"), t.OversizeSize)
		copy(b, `[null,null,`+topic+`,"`+ev+`","`)
		b = append(b[:max(len(b)-2, 0)], `"]`...)
		out = append(out, HostileFrame{Name: "oversized message", Kind: HostileOversized, Data: b})
	}
	return out
}

// q quotes s as a JSON string.
func q(s string) string { return string(appendJSONString(nil, s)) }

// SendHostile sends frames to the client as they are (Conn.SendRaw) and
// counts them by kind. It stops at the first frame the connection refuses
// (it is closing) and returns ErrClosed with the counts of those sent.
func (c *Conn) SendHostile(frames []HostileFrame) (HostileCounts, error) {
	var n HostileCounts
	for _, f := range frames {
		if err := c.SendRaw(f.Data, f.Binary); err != nil {
			return n, err
		}
		n.add(f.Kind, 1)
	}
	return n, nil
}

// HostileCounts counts hostile frames by kind.
type HostileCounts struct {
	byKind [len(hostileKindNames)]uint64
}

func (n *HostileCounts) add(k HostileKind, v uint64) {
	if k > 0 && int(k) < len(n.byKind) {
		n.byKind[k] += v
	}
}

// Of returns the count of kind k.
func (n HostileCounts) Of(k HostileKind) uint64 {
	if k > 0 && int(k) < len(n.byKind) {
		return n.byKind[k]
	}
	return 0
}

// Total is the count of every kind.
func (n HostileCounts) Total() uint64 {
	var t uint64
	for _, v := range n.byKind {
		t += v
	}
	return t
}

// Add returns the sum of n and m.
func (n HostileCounts) Add(m HostileCounts) HostileCounts {
	for k, v := range m.byKind {
		n.byKind[k] += v
	}
	return n
}

// String lists the non-zero counts, e.g. "malformed=23 unknown_topic=5".
func (n HostileCounts) String() string {
	var b strings.Builder
	for k, v := range n.byKind {
		if v == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(HostileKind(k).String())
		b.WriteByte('=')
		b.WriteString(strconv.FormatUint(v, 10))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
