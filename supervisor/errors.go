package supervisor

import (
	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
)

// Errors. Match them with errors.Is.
var (
	// ErrNotMounted: a call or cast on a session with no subscriber (SPEC M4).
	ErrNotMounted = messages.ErrNotMounted
	// ErrTimeout: no reply before the call or join timeout (SPEC A4, J3).
	ErrTimeout = messages.ErrTimeout
	// ErrNotConnected: the socket had no live connection for the push.
	ErrNotConnected = messages.ErrNotConnected
	// ErrWriteQueueFull: the socket's bounded write queue is full (SPEC K7).
	ErrWriteQueueFull = messages.ErrWriteQueueFull
	// ErrBufferFull: the session's pre-join push buffer is full (SPEC A8).
	ErrBufferFull = messages.ErrBufferFull
	// ErrClosed: the Supervisor or session has been shut down.
	ErrClosed = messages.ErrClosed
	// ErrUnknownAction: the action was not declared on the session.
	ErrUnknownAction = messages.ErrUnknownAction
	// ErrChannelClosed: the server closed the channel with the call in flight.
	ErrChannelClosed = messages.ErrChannelClosed
	// ErrInvalidOption: an endpoint URL or option cannot be used.
	ErrInvalidOption = actors.ErrInvalidConfig
)

// ConnectionError is why a socket's connection ended or could not be made:
// Op ("dial", "read", "write", "heartbeat"), the server's close code, or the
// HTTP status of a refused upgrade.
type ConnectionError = messages.ConnectionError

// Status is a session's channel status.
type Status = messages.Status

// Session statuses (SPEC S1).
const (
	Loading = messages.Loading
	Ready   = messages.Ready
	Stale   = messages.Stale
	Failed  = messages.Failed
)

// ErrorKind says what a session's error is about.
type ErrorKind = messages.ErrorKind

// Error kinds (SPEC S1).
const (
	KindConnectError   = messages.KindConnectError
	KindConnectTimeout = messages.KindConnectTimeout
	KindChannelError   = messages.KindChannelError
	KindTransport      = messages.KindTransport
	KindClosed         = messages.KindClosed
)

// SocketStatus is a socket's connection status.
type SocketStatus = messages.SocketStatus

// Socket statuses.
const (
	SocketConnecting = messages.SocketConnecting
	SocketOpen       = messages.SocketOpen
	SocketClosing    = messages.SocketClosing
	SocketClosed     = messages.SocketClosed
)

// SocketEvent reports a socket's status change (see WithStatusHandler).
type SocketEvent = messages.SocketEvent
