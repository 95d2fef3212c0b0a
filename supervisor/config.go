package supervisor

import (
	"encoding/json"
	"time"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/protocol"
)

// Session defaults, as the official JavaScript client and the seed.
const (
	DefaultJoinTimeout = actors.DefaultJoinTimeout // 10 s (SPEC J3)
	DefaultCallTimeout = actors.DefaultCallTimeout // 10 s (SPEC A4)
	DefaultPushBuffer  = actors.DefaultPushBuffer  // 100 pushes held before the join (SPEC A8)
)

// Config configures a Session[T], as the seed's session(socket, config).
// Only Topic is required; every other field has a documented default.
type Config[T any] struct {
	// Topic is the channel's topic, e.g. "chat:lobby".
	Topic string
	// Value is the value before the first join (SPEC S2), e.g. an empty list
	// or cached data; nil means none. The session never modifies it.
	Value *T
	// Join returns the join params from the current value; it runs at every
	// (re)join (SPEC J5), so a rejoin can ask only for what is missing. Its
	// result is encoded as JSON. Nil sends {}. For fixed params:
	//	Join: func(*ChatValue) any { return map[string]string{"user": "alice"} },
	Join JoinParams[T]
	// Connect shapes the join's outcome (the seed's connect).
	Connect Connect[T]
	// Events reduce inbound events into the value (the seed's events).
	Events Events[T]
	// Unhandled, when set, sees every event that has no handler in Events
	// (presence_state, presence_diff, ...). It runs on the session's actor:
	// it must not block.
	Unhandled func(event string, payload json.RawMessage)

	// Linger keeps the channel joined that long after the last subscriber
	// leaves, so a quick resubscribe does not leave and rejoin. Default 0:
	// leave at once, as the seed.
	Linger time.Duration
	// JoinTimeout bounds the wait for a join reply (SPEC J3). Default 10 s.
	JoinTimeout time.Duration
	// CallTimeout bounds the wait for a call's reply (SPEC A4). Default 10 s.
	CallTimeout time.Duration
	// Rejoin is the schedule of join retries after a join error or timeout
	// (SPEC J4). Default: the official client's 1, 2, 5, then 10 s.
	Rejoin protocol.Backoff
	// MaxJoinTries gives up after that many failed joins in a row (the
	// session stays failed until resubscribed). Default 0: never give up.
	MaxJoinTries int
	// PushBuffer bounds the calls and casts held until the join succeeds
	// (SPEC A8); more fail with ErrBufferFull. Default 100.
	PushBuffer int
}

// JoinParams returns the join payload for the current value (nil before a
// value is available).
type JoinParams[T any] func(value *T) any

// untyped builds the actors' configuration: every function is a closure
// that decodes into, and encodes from, T.
func (c Config[T]) untyped() actors.SessionConfig {
	out := actors.SessionConfig{
		Topic:        c.Topic,
		JoinTimeout:  c.JoinTimeout,
		CallTimeout:  c.CallTimeout,
		Linger:       c.Linger,
		Rejoin:       c.Rejoin,
		MaxJoinTries: c.MaxJoinTries,
		PushBuffer:   c.PushBuffer,
	}
	if c.Value != nil {
		out.Initial = c.Value
	}
	if c.Join != nil {
		join := c.Join
		out.JoinParams = func(v any) ([]byte, error) { return json.Marshal(join(valueOf[T](v))) }
	}
	out.JoinOk = c.Connect.Ok.fn
	out.JoinError = c.Connect.Error.fn
	if len(c.Events) > 0 {
		out.Events = make(map[string]actors.EventFunc, len(c.Events))
		for name, h := range c.Events {
			if h.fn != nil {
				out.Events[name] = h.fn
			}
		}
	}
	if c.Unhandled != nil {
		u := c.Unhandled
		out.Unhandled = func(event string, payload []byte) { u(event, payload) }
	}
	return out
}

// valueOf reads the typed value out of a snapshot's untyped one.
func valueOf[T any](v any) *T {
	p, _ := v.(*T)
	return p
}
