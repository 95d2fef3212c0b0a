package messages

// Status is a session's channel lifecycle status, as the seed defines it.
type Status int

const (
	// Loading: created or mounted, the first join has not succeeded yet.
	Loading Status = iota
	// Ready: joined.
	Ready
	// Stale: was ready; the connection or channel was lost and a rejoin is
	// under way. The value is kept.
	Stale
	// Failed: the join failed or timed out, or the server closed the channel.
	Failed
)

// String returns "loading", "ready", "stale" or "failed".
func (s Status) String() string {
	switch s {
	case Loading:
		return "loading"
	case Ready:
		return "ready"
	case Stale:
		return "stale"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// MarshalText writes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ErrorKind says what a session's error is about.
type ErrorKind string

// Error kinds of a session's State.Error (SPEC S1).
const (
	KindConnectError   ErrorKind = "connect_error"   // the join was answered "error"
	KindConnectTimeout ErrorKind = "connect_timeout" // the join had no reply in time
	KindChannelError   ErrorKind = "channel_error"   // phx_error: the server channel crashed, or the server lost it
	KindTransport      ErrorKind = "transport"       // the connection dropped or could not be made
	KindClosed         ErrorKind = "closed"          // phx_close: the server ended the channel
)

// SocketStatus is a socket's connection status.
type SocketStatus int

// Socket statuses.
const (
	SocketConnecting SocketStatus = iota
	SocketOpen
	SocketClosing
	SocketClosed
)

// String returns "connecting", "open", "closing" or "closed".
func (s SocketStatus) String() string {
	switch s {
	case SocketConnecting:
		return "connecting"
	case SocketOpen:
		return "open"
	case SocketClosing:
		return "closing"
	case SocketClosed:
		return "closed"
	}
	return "unknown"
}

// MarshalText writes the status as its name.
func (s SocketStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
