package actors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/rvct/phoenix/protocol"
)

// Session defaults, as the official JavaScript client and the seed.
const (
	DefaultJoinTimeout = 10 * time.Second // SPEC J3
	DefaultCallTimeout = 10 * time.Second // SPEC A4
	DefaultPushBuffer  = 100              // SPEC A8: pushes held before the join
)

var sessionNopLogger = slog.New(slog.DiscardHandler)

// defaultRejoin is shared by every session that keeps the default schedule.
var defaultRejoin = protocol.RejoinBackoff()

// EventFunc reduces one inbound event into the next value (SPEC E1). binary
// reports a websocket binary frame (payload is then raw bytes, not JSON).
type EventFunc func(value any, payload []byte, binary bool) (next any, err error)

// SessionConfig is the untyped configuration of a session actor. The typed
// facade in package supervisor builds it; every function field is a closure
// that decodes into and encodes from the user's types. All function fields
// may be nil.
type SessionConfig struct {
	Topic string
	// Initial is the value before any join (SPEC S2), or nil.
	Initial any
	// JoinParams returns the JSON join payload for the current value; it runs
	// at every (re)join (SPEC J5). Nil sends {}.
	JoinParams func(value any) ([]byte, error)
	// JoinOk returns the value after a successful join (SPEC J1). Nil keeps it.
	JoinOk func(value any, response []byte) (any, error)
	// JoinError returns the cause of a refused join (SPEC J2). Nil decodes the
	// response into a plain JSON value.
	JoinError func(response []byte) (any, error)
	// Events reduce inbound events by name (SPEC E1).
	Events map[string]EventFunc
	// Unhandled sees events with no handler (SPEC E2). It must not block.
	Unhandled func(event string, payload []byte)

	JoinTimeout time.Duration    // 0 = DefaultJoinTimeout
	CallTimeout time.Duration    // 0 = DefaultCallTimeout
	Linger      time.Duration    // wait after the last unsubscribe before leaving; 0 = leave at once
	Rejoin      protocol.Backoff // empty = protocol.RejoinBackoff() (SPEC J4)
	// MaxJoinTries stops retrying after that many failed joins in a row
	// (0 = retry for ever, as the official client).
	MaxJoinTries int
	// PushBuffer bounds the calls and casts held until the join succeeds
	// (0 = DefaultPushBuffer; SPEC A8).
	PushBuffer int

	Logger *slog.Logger
}

// Validate checks the fields that cannot work.
func (c *SessionConfig) Validate() error {
	switch {
	case c.Topic == "":
		return fmt.Errorf("%w: empty topic", ErrInvalidConfig)
	case c.Topic == protocol.TopicPhoenix:
		return fmt.Errorf("%w: topic %q is reserved for heartbeats", ErrInvalidConfig, c.Topic)
	case c.JoinTimeout < 0, c.CallTimeout < 0, c.Linger < 0:
		return fmt.Errorf("%w: negative timeout", ErrInvalidConfig)
	case c.MaxJoinTries < 0, c.PushBuffer < 0:
		return fmt.Errorf("%w: negative MaxJoinTries or PushBuffer", ErrInvalidConfig)
	}
	for _, d := range c.Rejoin.Steps {
		if d < 0 {
			return fmt.Errorf("%w: negative rejoin delay", ErrInvalidConfig)
		}
	}
	return nil
}

// withDefaults returns a copy with the zero fields set to their defaults.
func (c SessionConfig) withDefaults() SessionConfig {
	if c.JoinTimeout == 0 {
		c.JoinTimeout = DefaultJoinTimeout
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if len(c.Rejoin.Steps) == 0 {
		c.Rejoin = defaultRejoin
	}
	if c.PushBuffer == 0 {
		c.PushBuffer = DefaultPushBuffer
	}
	if c.Logger == nil {
		c.Logger = sessionNopLogger
	}
	return c
}

// IsReservedEvent reports whether event is one of the protocol's own events,
// which an action may not push.
func IsReservedEvent(event string) bool {
	switch event {
	case protocol.EventJoin, protocol.EventLeave, protocol.EventReply,
		protocol.EventError, protocol.EventClose:
		return true
	}
	return false
}
