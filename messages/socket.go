package messages

import "github.com/rvct/phoenix/protocol"

// Events a socket sends to the sessions attached to it.

// SocketUp: the socket's connection Gen is open; attached sessions (re)join.
type SocketUp struct {
	Socket string // socket id
	Gen    uint64 // connection generation, increases with every connect
}

// SocketDown: connection Gen ended; attached sessions go stale.
type SocketDown struct {
	Socket string
	Gen    uint64
	Reason error // a *ConnectionError, or ErrClosed on shutdown
}

// FrameIn: an inbound frame routed to the session that owns its topic and
// join_ref (SPEC K5).
type FrameIn struct {
	Gen   uint64
	Frame protocol.Frame
}

// PushFailed: a frame the session handed to the socket could not be written
// (the connection died with it queued).
type PushFailed struct {
	Ref string
	Err error
}

// JoinPermit: the session may send its join now (joins in flight are paced,
// SPEC L5).
type JoinPermit struct{ Gen uint64 }
