package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/protocol"
)

// Link is what a session holds of the socket it is placed on. Every method
// is safe for concurrent use and never blocks on the network: the socket's
// routing table and write queue are guarded by the socket itself.
//
// The socket notifies attached sessions with messages (package messages):
// SocketUp{Gen} when a connection opens, SocketDown{Gen} when it ends,
// FrameIn for inbound frames of their topic, PushFailed for frames that were
// queued but could not be written, JoinPermit when a paced join may go.
type Link interface {
	// ID names the socket, e.g. "ws://127.0.0.1:4000/socket#2".
	ID() string
	// Attach routes the topic's inbound frames to session. It returns the
	// live connection's generation, or 0 when the socket is not connected
	// (a SocketUp follows when it connects).
	Attach(topic string, session *actor.PID) (gen uint64)
	// Detach removes the topic's route if it still points at session.
	Detach(topic string, session *actor.PID)
	// SetJoinRef records the join_ref the topic's inbound frames must carry
	// (frames with another non-null join_ref are dropped: SPEC K5).
	SetJoinRef(topic, joinRef string)
	// NextRef hands out the next ref of this socket (SPEC K3).
	NextRef() string
	// Send queues f for the writer of connection gen without blocking. It
	// fails at once with messages.ErrNotConnected when gen is not the live
	// connection and with messages.ErrWriteQueueFull when the bounded queue
	// is full (SPEC K7). A frame queued but never written is reported to
	// from as messages.PushFailed{Ref}.
	Send(gen uint64, f *protocol.Frame, from *actor.PID) error
	// AcquireJoin asks to send a join on connection gen. It returns true when
	// the join may go now; otherwise session gets a messages.JoinPermit later
	// (joins in flight per socket are bounded: SPEC L5).
	AcquireJoin(gen uint64, session *actor.PID) bool
	// ReleaseJoin ends a join that AcquireJoin (or a JoinPermit) allowed,
	// once it is answered, timed out or abandoned.
	ReleaseJoin(gen uint64, session *actor.PID)
	// DroppedUnknownRef counts a reply the session could not match: a ref
	// it never sent or already settled, or a reply that does not parse.
	// Every dropped inbound frame shows in the socket's counters.
	DroppedUnknownRef()
}
