package actors

import (
	"time"
)

// Messages a session actor takes besides those of package messages. They
// hold reply channels and closures, so they stay in this package (they
// never cross a node).

// ActionDef declares an action: its bucket name, the Phoenix event it pushes
// and how to decode its error reply for the bucket (SPEC A3, A6).
type ActionDef struct {
	// Name is the bucket's name (the seed's method name).
	Name string
	// Event is the Phoenix event pushed (handle_in/3 on the server).
	Event string
	// DecodeError turns an error reply's response into the value stored in
	// Errors[Name]; nil stores the raw JSON. A null response is stored as nil
	// without calling it.
	DecodeError func(response []byte) (any, error)
	// Timeout of each call (0 = the session's CallTimeout).
	Timeout time.Duration
}

// DeclareAction adds an action's bucket (SPEC S3). The session answers with
// ActionDeclared.
type DeclareAction struct{ Def *ActionDef }

// ActionDeclared answers DeclareAction once the bucket is in the state.
type ActionDeclared struct{}

// CallOutcome says how a call ended.
type CallOutcome uint8

// Call outcomes.
const (
	// CallOK: an "ok" reply; Response holds its JSON.
	CallOK CallOutcome = iota + 1
	// CallError: an "error" reply; Response holds its JSON, ErrorValue the
	// decoded value also stored in the bucket.
	CallError
	// CallFailed: no reply (timeout, not mounted, lost channel, ...); Err says why.
	CallFailed
)

// CallResult is what the session sends back on a CallRequest's Reply.
type CallResult struct {
	Outcome    CallOutcome
	Binary     bool   // the reply came in a binary frame
	Response   []byte // the reply's response JSON (raw bytes for a binary reply)
	ErrorValue any    // for CallError: the decoded error (nil when the reply was null)
	DecodeErr  error  // for CallError: why ErrorValue could not be decoded
	Err        error  // for CallFailed
}

// CallRequest asks the session to push an event. For a call (Action != nil)
// the session answers exactly once on Reply, which must have room for one
// result; for a cast (Action == nil) it answers once the push is queued or
// buffered. The requester must not touch the request after sending it,
// except to send CancelCall with it.
type CallRequest struct {
	Action  *ActionDef // nil for a cast
	Event   string     // for a cast; a call pushes Action.Event
	Payload []byte     // JSON payload
	Binary  bool       // push as a binary frame (Payload is raw bytes)
	Reply   chan CallResult

	// Owned by the session actor once sent.
	run      uint64
	ref      string
	cancel   func()
	buffered bool
	done     bool
}

// CancelCall tells the session that the caller stopped waiting (its context
// ended, SPEC A9). A call still buffered is dropped and never sent; a call in
// flight keeps tracking its bucket.
type CancelCall struct{ Req *CallRequest }

// Timer messages (fired into the mailbox; each carries what it is for so a
// late timer of a settled thing is ignored).
type (
	joinTimedOut struct{ ref string }
	rejoinDue    struct{ seq uint64 }
	callTimedOut struct{ req *CallRequest }
	lingerDone   struct{ seq uint64 }
)
