package protocol

// Reserved event names of the Phoenix channel protocol.
const (
	EventJoin      = "phx_join"
	EventLeave     = "phx_leave"
	EventReply     = "phx_reply"
	EventError     = "phx_error"
	EventClose     = "phx_close"
	EventHeartbeat = "heartbeat"
)

// TopicPhoenix is the reserved topic of socket-level messages (heartbeats).
const TopicPhoenix = "phoenix"

// Reply statuses carried by phx_reply.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Reasons the server gives in error replies that have a meaning of their own.
const (
	ReasonUnmatchedTopic = "unmatched topic"
	ReasonTooManyJoined  = "too many channels joined"
	ReasonJoinCrashed    = "join crashed"
)

// Frame is one Phoenix message. An empty JoinRef or Ref stands for JSON null
// (the server never uses empty refs; the binary format writes null as an empty
// string).
type Frame struct {
	JoinRef string
	Ref     string
	Topic   string
	Event   string
	// Payload is the JSON text of the payload for text frames, or the raw bytes
	// of a binary frame. For a JSON phx_reply it is the whole
	// {"status":..,"response":..} object; use Reply to read it.
	Payload []byte
	// Binary marks a frame sent or received with the websocket binary opcode.
	Binary bool
	// Status is the reply status of a binary reply (kind 1); empty otherwise.
	Status string
}

// IsReply reports whether f is a phx_reply.
func (f *Frame) IsReply() bool { return f.Event == EventReply }

// IsHeartbeatReply reports whether f answers a heartbeat.
func (f *Frame) IsHeartbeatReply() bool {
	return f.Event == EventReply && f.Topic == TopicPhoenix
}

// Reply reads the status and response of a phx_reply frame. For a binary
// reply the response is the raw payload bytes.
func (f *Frame) Reply() (Reply, error) {
	if f.Event != EventReply {
		return Reply{}, malformed("reply", -1, "event is "+f.Event+", not phx_reply")
	}
	if f.Binary {
		return Reply{Status: f.Status, Response: f.Payload, Binary: true}, nil
	}
	return ParseReply(f.Payload)
}
