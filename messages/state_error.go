package messages

import (
	"errors"
	"fmt"
)

// ErrChannelLost: the channel ended without closing (the connection dropped,
// the server channel crashed with phx_error, or the server no longer knows
// the topic) while a call was in flight, so no reply can come (SPEC L3, L4).
// Errors for a dropped connection also wrap the *ConnectionError.
var ErrChannelLost = errors.New("phx: channel lost")

// StateError is a session's State.Error (SPEC S1): what is wrong and why.
// It is nil while the session is healthy.
type StateError struct {
	// Kind says what the error is about: connect_error, connect_timeout,
	// channel_error, transport or closed.
	Kind ErrorKind
	// Cause is the detail: for connect_error the join error reply (or what
	// Connect.Error made of it), for transport the connection error, for
	// channel_error the phx_error payload or "unmatched topic"; nil when
	// there is nothing more to say (connect_timeout, closed).
	Cause any
}

// Error makes a StateError usable as an error, e.g. "connect_error: unauthorized".
func (e *StateError) Error() string {
	if e.Cause == nil {
		return string(e.Kind)
	}
	return fmt.Sprintf("%s: %v", e.Kind, e.Cause)
}

// Unwrap returns the cause when it is an error (a *ConnectionError for
// transport errors).
func (e *StateError) Unwrap() error {
	if err, ok := e.Cause.(error); ok {
		return err
	}
	return nil
}
