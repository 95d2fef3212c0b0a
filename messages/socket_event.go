package messages

import "time"

// SocketEvent reports a change of a socket's connection status, with why.
// Handlers get it from the socket actor's goroutine, in order.
type SocketEvent struct {
	Socket string       // socket id, e.g. "ws://127.0.0.1:4000/socket#1"
	Status SocketStatus // the new status
	Gen    uint64       // connection generation (the new one when Status is SocketOpen)
	// Err says why the connection ended or could not be made (a
	// *ConnectionError); nil when it opened or the user closed it.
	Err error
	// RetryIn is the backoff before the next connect when Status is
	// SocketClosed and a reconnect follows; 0 otherwise.
	RetryIn time.Duration
	// HeartbeatRTT is the last measured heartbeat round trip, 0 before the first.
	HeartbeatRTT time.Duration
}
