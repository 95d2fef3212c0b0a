package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/rvct/phoenix/supervisor"
)

// errorJSON is a session's State.Error on the wire: {"kind","cause"}.
type errorJSON struct {
	Kind  string `json:"kind"`
	Cause any    `json:"cause,omitempty"`
}

// stateError converts a State.Error; nil stays nil (JSON null).
func stateError(e *supervisor.Error) *errorJSON {
	if e == nil {
		return nil
	}
	out := &errorJSON{Kind: string(e.Kind)}
	switch c := e.Cause.(type) {
	case nil:
	case error:
		out.Cause = c.Error()
	default:
		if _, err := json.Marshal(c); err != nil {
			out.Cause = fmt.Sprint(c)
		} else {
			out.Cause = c
		}
	}
	return out
}

// reasonOf reads the "reason" of a join error cause ({"reason": "..."}),
// or describes the cause.
func reasonOf(e *supervisor.Error) string {
	if e == nil {
		return ""
	}
	switch c := e.Cause.(type) {
	case nil:
		return string(e.Kind)
	case map[string]any:
		if r, ok := c["reason"].(string); ok {
			return r
		}
	case string:
		return c
	case error:
		return c.Error()
	}
	b, err := json.Marshal(stateError(e).Cause)
	if err != nil {
		return fmt.Sprint(e.Cause)
	}
	return string(b)
}

// rawOrNull returns v's JSON, or null.
func rawOrNull(v *json.RawMessage) json.RawMessage {
	if v == nil || len(*v) == 0 {
		return json.RawMessage("null")
	}
	return *v
}

// payloadJSON makes an event payload embeddable in a JSON line: JSON as
// is; anything else (a binary frame) as a JSON string holding its base64,
// with binary true.
func payloadJSON(p []byte) (raw json.RawMessage, binary bool) {
	if len(p) > 0 && json.Valid(p) {
		return json.RawMessage(p), false
	}
	b, _ := json.Marshal(base64.StdEncoding.EncodeToString(p))
	return b, true
}
