package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
)

// Session errors. Match them with errors.Is.
var (
	// ErrChannelLost: the channel ended without closing — the connection
	// dropped, the server channel crashed (phx_error), or the server no
	// longer knows the topic — while a call was in flight, so no reply can
	// come (SPEC L3, L4). For a dropped connection the error also wraps the
	// *ConnectionError.
	ErrChannelLost = messages.ErrChannelLost
	// ErrSessionExists: NewSession was asked for a topic that already has a
	// session of another value type on this endpoint (SPEC K6).
	ErrSessionExists = actors.ErrSessionExists
)

// errBinaryPayload: a binary frame reached a handler whose type is not
// []byte or json.RawMessage.
var errBinaryPayload = errors.New("phx: binary payload needs a []byte or json.RawMessage type")

// ReplyError is what a call returns when the server answers "error" (SPEC
// A3). Reply is the reply decoded into E (the same value as the bucket's
// Errors[action]); it is nil when the reply was null or did not decode.
type ReplyError[E any] struct {
	Action string          // the action's bucket name
	Event  string          // the Phoenix event pushed
	Reply  *E              // the decoded reply, or nil
	Raw    json.RawMessage // the reply as the server sent it
	// DecodeErr says why Raw did not decode into E, or nil.
	DecodeErr error
}

// Error reads e.g. `phx: send (new_msg): error reply {"reason":"blocked"}`.
func (e *ReplyError[E]) Error() string {
	s := fmt.Sprintf("phx: %s (%s): error reply %s", e.Action, e.Event, e.Raw)
	if e.DecodeErr != nil {
		s += " (undecodable: " + e.DecodeErr.Error() + ")"
	}
	return s
}

// Unwrap returns the decode error, if any.
func (e *ReplyError[E]) Unwrap() error { return e.DecodeErr }
