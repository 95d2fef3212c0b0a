package phxtest

import (
	"encoding/json"
	"fmt"

	"github.com/rvct/phoenix/protocol"
)

// Payload is the body of a message: JSON text, or the raw bytes of a binary
// frame (Phoenix's {:binary, data}). The zero value is the empty JSON object
// {} on the wire.
type Payload struct {
	data   []byte
	binary bool
	err    error
}

// JSON marshals v with encoding/json. A value that does not marshal gives a
// Payload whose Err is set; sending it fails with that error.
func JSON(v any) Payload {
	b, err := json.Marshal(v)
	if err != nil {
		return Payload{err: fmt.Errorf("phxtest: payload: %w", err)}
	}
	return Payload{data: b}
}

// RawJSON uses b, which must be one JSON value, as it is. Invalid JSON gives
// a Payload whose Err matches ErrInvalidJSON.
func RawJSON(b []byte) Payload {
	if !protocol.ValidJSON(b) {
		return Payload{err: fmt.Errorf("%w: %.40q", ErrInvalidJSON, b)}
	}
	return Payload{data: b}
}

// Binary is a binary payload: it goes out in a websocket binary frame.
func Binary(b []byte) Payload { return Payload{data: b, binary: true} }

// IsBinary reports whether p came, or goes, in a binary frame.
func (p Payload) IsBinary() bool { return p.binary }

// Bytes returns the JSON text or the binary data. The zero Payload returns nil.
func (p Payload) Bytes() []byte { return p.data }

// Err returns the error of a Payload that could not be built.
func (p Payload) Err() error { return p.err }

// IsZero reports whether p is the zero Payload.
func (p Payload) IsZero() bool { return p.data == nil && !p.binary && p.err == nil }

// Decode unmarshals a JSON payload into v. A binary payload gives
// ErrBinaryPayload.
func (p Payload) Decode(v any) error {
	if p.err != nil {
		return p.err
	}
	if p.binary {
		return ErrBinaryPayload
	}
	return json.Unmarshal(p.wire(), v)
}

// Field returns the raw JSON of a member of a JSON object payload, or nil.
func (p Payload) Field(name string) json.RawMessage {
	if p.binary || p.data == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(p.data, &m) != nil {
		return nil
	}
	return m[name]
}

// String returns the JSON text, or a description of binary data.
func (p Payload) String() string {
	switch {
	case p.err != nil:
		return "<error: " + p.err.Error() + ">"
	case p.binary:
		return fmt.Sprintf("<binary %d bytes>", len(p.data))
	default:
		return string(p.wire())
	}
}

var emptyObject = []byte("{}")

// wire is the payload as it goes into a frame.
func (p Payload) wire() []byte {
	if p.data == nil && !p.binary {
		return emptyObject
	}
	return p.data
}
