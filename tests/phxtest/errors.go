package phxtest

import "errors"

var (
	// ErrInvalidJSON is matched by the Err of a RawJSON payload that is not JSON.
	ErrInvalidJSON = errors.New("phxtest: invalid JSON payload")
	// ErrBinaryPayload is returned when a binary payload is decoded as JSON.
	ErrBinaryPayload = errors.New("phxtest: payload is binary, not JSON")
	// ErrNotJoined is returned by a push on a channel that has not joined yet
	// (Phoenix raises "push issued before the channel has joined") or that
	// has ended.
	ErrNotJoined = errors.New("phxtest: channel is not joined")
	// ErrClosed is returned by operations on a closed server or connection.
	ErrClosed = errors.New("phxtest: closed")
	// ErrBadOption is matched by errors about an invalid option value.
	ErrBadOption = errors.New("phxtest: bad option")
	// ErrNoTopic is returned when a connection has no channel for a topic.
	ErrNoTopic = errors.New("phxtest: topic not joined on this connection")
)

// JoinError is returned by Channel.Join to refuse the join: the client gets
// {"status":"error","response":Reply}, as Phoenix's {:error, reply}.
type JoinError struct {
	Reply Payload
}

func (e *JoinError) Error() string { return "phxtest: join refused: " + e.Reply.String() }

// Refuse returns a *JoinError carrying reply; return it from Channel.Join.
func Refuse(reply Payload) error { return &JoinError{Reply: reply} }
