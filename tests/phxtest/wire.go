package phxtest

import (
	"encoding/json"

	"github.com/rvct/phoenix/protocol"
)

// wireRef is a join_ref or ref as the client wrote it. Phoenix echoes refs
// back as they came, so an odd client's numeric ref is kept as raw JSON.
// The zero value is null.
type wireRef struct {
	s   string // the string value (kind refString) or raw JSON text (kind refRaw)
	raw bool   // s is raw JSON text: the value was not a string or null
}

func strRef(s string) wireRef { return wireRef{s: s} }

// isNull reports whether the ref is JSON null.
func (r wireRef) isNull() bool { return r.s == "" && !r.raw }

// String is the ref as a Go string: "" for null, the raw JSON for an odd value.
func (r wireRef) String() string { return r.s }

// refFromJSON reads a ref from its raw JSON element.
func refFromJSON(raw []byte) wireRef {
	switch {
	case string(raw) == "null":
		return wireRef{}
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return wireRef{s: s}
		}
	}
	return wireRef{s: string(raw), raw: true}
}

// json appends the ref as JSON.
func (r wireRef) json(dst []byte) []byte {
	switch {
	case r.raw:
		return append(dst, r.s...)
	case r.s == "":
		return append(dst, "null"...)
	default:
		return appendJSONString(dst, r.s)
	}
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// outFrame is a frame the server sends.
type outFrame struct {
	joinRef  wireRef
	ref      wireRef
	topic    string
	rawTopic []byte // the client's topic when it was not a JSON string
	event    string
	payload  []byte // JSON text, or binary data when binary
	binary   bool
	status   string // the status of a binary reply
}

// simple reports whether the frame can go through the protocol codecs.
func (f *outFrame) simple() bool { return !f.joinRef.raw && !f.ref.raw && f.rawTopic == nil }

// encode returns the frame as serializer ser sends it and whether it is a
// binary websocket message.
func (f *outFrame) encode(ser protocol.Serializer) ([]byte, bool, error) {
	if !f.simple() {
		return f.encodeOdd(ser), false, nil
	}
	pf := protocol.Frame{
		JoinRef: f.joinRef.s, Ref: f.ref.s, Topic: f.topic, Event: f.event,
		Payload: f.payload, Binary: f.binary, Status: f.status,
	}
	if ser == protocol.V1 {
		pf.JoinRef = "" // Phoenix's V1 serializer writes topic, event, payload, ref only
	}
	size := len(f.payload) + len(f.topic) + len(f.event) + len(f.joinRef.s) + len(f.ref.s) + 32
	return ser.EncodeServer(make([]byte, 0, size), &pf)
}

// encodeOdd writes a text frame whose refs or topic are not plain strings:
// they are echoed as the client sent them.
func (f *outFrame) encodeOdd(ser protocol.Serializer) []byte {
	topic := f.rawTopic
	if topic == nil {
		topic = appendJSONString(nil, f.topic)
	}
	payload := f.payload
	if payload == nil {
		payload = emptyObject
	}
	var b []byte
	if ser == protocol.V1 {
		b = append(b, `{"topic":`...)
		b = append(b, topic...)
		b = append(b, `,"event":`...)
		b = appendJSONString(b, f.event)
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
		b = append(b, `,"ref":`...)
		b = f.ref.json(b)
		return append(b, '}')
	}
	b = append(b, '[')
	b = f.joinRef.json(b)
	b = append(b, ',')
	b = f.ref.json(b)
	b = append(b, ',')
	b = append(b, topic...)
	b = append(b, ',')
	b = appendJSONString(b, f.event)
	b = append(b, ',')
	b = append(b, payload...)
	return append(b, ']')
}

// replyFrame builds a phx_reply: JSON {"response":..,"status":..} for a JSON
// response, a binary reply (kind 1) for a binary one.
func replyFrame(joinRef, ref wireRef, topic string, rawTopic []byte, status string, resp Payload) *outFrame {
	f := &outFrame{joinRef: joinRef, ref: ref, topic: topic, rawTopic: rawTopic, event: protocol.EventReply}
	if resp.binary {
		f.binary, f.status, f.payload = true, status, resp.data
		return f
	}
	var r []byte
	if resp.data != nil {
		r = resp.data
	}
	f.payload = protocol.AppendReplyPayload(make([]byte, 0, len(r)+32), status, r)
	return f
}

// inFrame is a frame a client sent, read leniently as Phoenix reads it.
type inFrame struct {
	joinRef  wireRef
	ref      wireRef
	topic    string
	rawTopic []byte // set when the topic is not a string (such frames match no channel)
	event    string
	oddEvent bool // the event was not a string; event holds its raw JSON
	payload  Payload
}

// decodeIn decodes a client message. It fails where Phoenix's transport
// crashes (and closes the socket with 1011).
func decodeIn(ser protocol.Serializer, data []byte, binary bool) (inFrame, error) {
	if binary || ser == protocol.V1 {
		f, err := ser.DecodeClient(data, binary)
		if err != nil {
			return inFrame{}, err
		}
		in := inFrame{joinRef: strRef(f.JoinRef), ref: strRef(f.Ref), topic: f.Topic, event: f.Event}
		in.payload = Payload{data: f.Payload, binary: binary}
		return in, nil
	}
	env, err := protocol.SplitText(data)
	if err != nil {
		return inFrame{}, err
	}
	in := inFrame{payload: Payload{data: env.Payload}}
	if f, err := env.Frame(); err == nil && string(env.JoinRef) != `""` && string(env.Ref) != `""` {
		in.joinRef, in.ref, in.topic, in.event = strRef(f.JoinRef), strRef(f.Ref), f.Topic, f.Event
		return in, nil
	}
	// Odd element types: Phoenix decodes any JSON there and echoes it back.
	in.joinRef, in.ref = refFromJSON(env.JoinRef), refFromJSON(env.Ref)
	if json.Unmarshal(env.Topic, &in.topic) != nil || env.Topic[0] != '"' {
		in.rawTopic = env.Topic
	}
	if json.Unmarshal(env.Event, &in.event) != nil || env.Event[0] != '"' {
		in.event, in.oddEvent = string(env.Event), true
	}
	return in, nil
}
