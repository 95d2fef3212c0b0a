package messages

import (
	"errors"
	"fmt"
)

// Sentinel errors. The public package re-exports them.
var (
	// ErrNotMounted: a call or cast on a session that has no subscriber (SPEC M4).
	ErrNotMounted = errors.New("phx: session not mounted")
	// ErrTimeout: no reply before the call or join timeout (SPEC A4, J3).
	ErrTimeout = errors.New("phx: timeout")
	// ErrNotConnected: the socket has no live connection for this push.
	ErrNotConnected = errors.New("phx: socket not connected")
	// ErrWriteQueueFull: the socket's bounded write queue is full (SPEC K7).
	ErrWriteQueueFull = errors.New("phx: socket write queue full")
	// ErrBufferFull: the session's pre-join push buffer is full (SPEC A8).
	ErrBufferFull = errors.New("phx: session push buffer full")
	// ErrClosed: the supervisor or session has been shut down.
	ErrClosed = errors.New("phx: closed")
	// ErrUnknownAction: the action was not declared on the session.
	ErrUnknownAction = errors.New("phx: unknown action")
	// ErrChannelClosed: the server closed the channel (phx_close) with the call in flight.
	ErrChannelClosed = errors.New("phx: channel closed by server")
)

// ConnectionError is why a socket's connection ended or could not be made.
type ConnectionError struct {
	Op        string // "dial", "read", "write", "heartbeat", "close"
	CloseCode int    // websocket close code when the server sent one, else 0
	HTTPCode  int    // HTTP status of a refused upgrade, else 0
	Err       error
}

func (e *ConnectionError) Error() string {
	s := "phx: connection " + e.Op
	if e.HTTPCode != 0 {
		s += fmt.Sprintf(" refused with HTTP %d", e.HTTPCode)
	}
	if e.CloseCode != 0 {
		s += fmt.Sprintf(" closed with code %d", e.CloseCode)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConnectionError) Unwrap() error { return e.Err }
