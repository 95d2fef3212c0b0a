package supervisor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
)

// Call is a request/reply action of a session, as a function property the
// seed's extend returns that uses call<OkReply, ErrorReply>(event, payload):
// it pushes Event with a P payload and waits for the server's reply, an OK
// on "ok" or an E on "error". Its bucket, named after the action, is in
// every State: Processing[name], Errors[name] (a *E), Timeouts[name]
// (SPEC S3, A1-A6). Build one with NewCall; safe for concurrent use.
type Call[P, OK, E, T any] struct {
	s   *Session[T]
	def *actors.ActionDef
	err error // why the action cannot be used (bad name, closed session)
}

// ActionOption configures an action.
type ActionOption func(*actors.ActionDef)

// WithCallTimeout sets the action's call timeout instead of the session's
// Config.CallTimeout (SPEC A4).
func WithCallTimeout(d time.Duration) ActionOption {
	return func(def *actors.ActionDef) { def.Timeout = d }
}

// NewCall declares the call action name on s: each call pushes event (the
// server's handle_in/3 event, which may differ from name: SPEC A6). The
// bucket exists, clear, once NewCall returns (SPEC S3). T is inferred from
// s, so only the payload and reply types are written:
//
//	send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
//
// An empty name or event, a reserved event (phx_join, ...) or a session
// already shut down is not a panic: every Call then returns that error
// (matching ErrInvalidOption or ErrClosed). Declaring a name again shares
// the bucket; the latest declaration's event and types are used.
func NewCall[P, OK, E, T any](s *Session[T], name, event string, opts ...ActionOption) *Call[P, OK, E, T] {
	c := &Call[P, OK, E, T]{s: s}
	def := &actors.ActionDef{Name: name, Event: event, DecodeError: decodeErrorReply[E]}
	for _, opt := range opts {
		if opt != nil {
			opt(def)
		}
	}
	c.def = def
	if c.err = checkAction(s == nil, name, event, def.Timeout); c.err != nil {
		return c
	}
	c.err = s.inner.Declare(def)
	return c
}

func checkAction(nilSession bool, name, event string, timeout time.Duration) error {
	switch {
	case nilSession:
		return fmt.Errorf("%w: nil session", actors.ErrInvalidConfig)
	case name == "":
		return fmt.Errorf("%w: empty action name", actors.ErrInvalidConfig)
	case event == "":
		return fmt.Errorf("%w: action %q has an empty event", actors.ErrInvalidConfig, name)
	case actors.IsReservedEvent(event):
		return fmt.Errorf("%w: action %q pushes reserved event %q", actors.ErrInvalidConfig, name, event)
	case timeout < 0:
		return fmt.Errorf("%w: action %q has a negative timeout", actors.ErrInvalidConfig, name)
	}
	return nil
}

// decodeErrorReply decodes an error reply into the *E stored in the bucket.
func decodeErrorReply[E any](response []byte) (any, error) {
	e, err := decodePayload[E](response, false)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Name is the action's bucket name.
func (c *Call[P, OK, E, T]) Name() string { return c.def.Name }

// Event is the Phoenix event the action pushes.
func (c *Call[P, OK, E, T]) Event() string { return c.def.Event }

// Call pushes payload and waits for the reply (SPEC A1-A5, A9):
//   - "ok": the reply decoded into OK, nil error;
//   - "error": a *ReplyError[E] (also in the bucket's Errors);
//   - no reply within the timeout: ErrTimeout (the bucket's Timeouts is set);
//   - the session has no subscriber: ErrNotMounted (SPEC M4);
//   - ctx ends first: ctx.Err() (the bucket still follows the reply).
//
// Before the join succeeds the call waits in a bounded buffer (SPEC A8);
// a full buffer gives ErrBufferFull. A channel lost with the call in flight
// gives ErrChannelLost; one closed by the server, ErrChannelClosed; a
// shut-down session, ErrClosed. A payload that does not encode, or an ok
// reply that does not decode into OK, is an error too. A []byte P is sent
// as a binary frame; a json.RawMessage P as is.
func (c *Call[P, OK, E, T]) Call(ctx context.Context, payload P) (OK, error) {
	var zero OK
	if c.err != nil {
		return zero, c.err
	}
	body, binary, err := encodePayload(payload)
	if err != nil {
		return zero, fmt.Errorf("phx: %s: encode payload: %w", c.def.Name, err)
	}
	req := &actors.CallRequest{Action: c.def, Payload: body, Binary: binary, Reply: make(chan actors.CallResult, 1)}
	res, err := roundTrip(ctx, c.s, req)
	if err != nil {
		return zero, err
	}
	switch res.Outcome {
	case actors.CallOK:
		ok, err := decodePayload[OK](res.Response, res.Binary)
		if err != nil {
			return zero, fmt.Errorf("phx: %s: decode ok reply: %w", c.def.Name, err)
		}
		return ok, nil
	case actors.CallError:
		re := &ReplyError[E]{Action: c.def.Name, Event: c.def.Event, Raw: res.Response, DecodeErr: res.DecodeErr}
		re.Reply, _ = res.ErrorValue.(*E)
		return zero, re
	default:
		return zero, res.Err
	}
}

// Error reads the action's error reply from a state: the latest run's
// decoded error, or nil when clear (or when the reply was null).
func (c *Call[P, OK, E, T]) Error(s State[T]) *E {
	e, _ := s.Errors[c.def.Name].(*E)
	return e
}

// Processing reads whether the action's latest run waits for its reply.
func (c *Call[P, OK, E, T]) Processing(s State[T]) bool { return s.Processing[c.def.Name] }

// TimedOut reads whether the action's latest run timed out.
func (c *Call[P, OK, E, T]) TimedOut(s State[T]) bool { return s.Timeouts[c.def.Name] }

// Cast is a fire-and-forget action, as the seed's cast(event, payload): it
// pushes Event with a P payload, waits for no reply, and has no bucket
// (SPEC A7). Build one with NewCast; safe for concurrent use.
type Cast[P any] struct {
	send  func(ctx context.Context, req *actors.CallRequest) (actors.CallResult, error)
	event string
	err   error
}

// NewCast declares a cast of event on s:
//
//	typing := supervisor.NewCast[TypingPayload](chat, "typing")
//
// A bad event is not a panic: every Cast then returns the error (matching
// ErrInvalidOption).
func NewCast[P, T any](s *Session[T], event string) *Cast[P] {
	c := &Cast[P]{event: event}
	if c.err = checkAction(s == nil, event, event, 0); c.err != nil {
		return c
	}
	c.send = func(ctx context.Context, req *actors.CallRequest) (actors.CallResult, error) {
		return roundTrip(ctx, s, req)
	}
	return c
}

// Event is the Phoenix event the cast pushes.
func (c *Cast[P]) Event() string { return c.event }

// Cast pushes payload without waiting for a reply. It returns once the push
// is queued on the socket or, before the join, buffered (SPEC A8; a buffered
// cast expires after the session's CallTimeout). Errors: ErrNotMounted
// (SPEC M4), ErrBufferFull, ErrWriteQueueFull, ErrChannelClosed, ErrClosed,
// ctx.Err(), or an encoding error.
func (c *Cast[P]) Cast(ctx context.Context, payload P) error {
	if c.err != nil {
		return c.err
	}
	body, binary, err := encodePayload(payload)
	if err != nil {
		return fmt.Errorf("phx: %s: encode payload: %w", c.event, err)
	}
	req := &actors.CallRequest{Event: c.event, Payload: body, Binary: binary, Reply: make(chan actors.CallResult, 1)}
	res, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	return res.Err
}

// roundTrip hands req to the session and waits for its answer, ctx or the
// session's end (SPEC A9). It never leaves a call hanging.
func roundTrip[T any](ctx context.Context, s *Session[T], req *actors.CallRequest) (actors.CallResult, error) {
	if err := ctx.Err(); err != nil {
		return actors.CallResult{}, err
	}
	if !s.send(req) {
		return actors.CallResult{}, messages.ErrClosed
	}
	select {
	case res := <-req.Reply:
		return res, nil
	case <-ctx.Done():
		s.send(&actors.CancelCall{Req: req})
		return actors.CallResult{}, ctx.Err()
	case <-s.inner.Done():
		select {
		case res := <-req.Reply:
			return res, nil
		default:
			return actors.CallResult{}, messages.ErrClosed
		}
	}
}

// encodePayload encodes a push payload: []byte goes as a binary frame,
// json.RawMessage as is, anything else as JSON.
func encodePayload[P any](p P) (body []byte, binary bool, err error) {
	switch v := any(p).(type) {
	case []byte:
		return v, true, nil
	case json.RawMessage:
		if len(v) == 0 {
			return []byte("{}"), false, nil
		}
		if !json.Valid(v) {
			return nil, false, fmt.Errorf("invalid JSON payload")
		}
		return v, false, nil
	}
	body, err = json.Marshal(p)
	return body, false, err
}
