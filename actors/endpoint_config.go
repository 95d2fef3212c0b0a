package actors

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// Defaults of an EndpointConfig's zero fields.
const (
	DefaultDialTimeout          = 10 * time.Second
	DefaultHeartbeatInterval    = 30 * time.Second
	DefaultMaxChannelsPerSocket = 100      // Phoenix's default cap of channels a socket
	DefaultWriteQueueSize       = 1024     // frames waiting for the writer of one socket
	DefaultReadLimit            = 16 << 20 // 16 MiB: the largest inbound message
	DefaultMaxJoinsInFlight     = 32       // joins awaiting their reply on one socket
)

// ErrInvalidConfig is matched by every error about an endpoint's
// configuration.
var ErrInvalidConfig = errors.New("phx: invalid configuration")

// EndpointConfig configures a pool of sockets to one Phoenix endpoint. Zero
// fields take the defaults above.
type EndpointConfig struct {
	// URL of the socket, e.g. "wss://example.com/socket" (SPEC W1).
	URL string
	// Params returns the connect params; it is called at every (re)connect
	// (SPEC W1). Nil means none.
	Params func() url.Values
	// AuthToken returns the token sent in the Sec-WebSocket-Protocol header;
	// called at every connect (SPEC W1a). Nil or "" sends none.
	AuthToken func() string
	// Header is added to the upgrade request (SPEC K8).
	Header http.Header
	// DialTimeout bounds the TCP, TLS and websocket handshakes of one connect.
	DialTimeout time.Duration
	// TLSConfig for wss; nil verifies certificates against the system roots.
	TLSConfig *tls.Config
	// NetDialContext replaces the TCP dialer (tests pass an in-memory pipe).
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// HeartbeatInterval between heartbeats and the time a heartbeat has to be
	// answered (SPEC K2).
	HeartbeatInterval time.Duration
	// Backoff is the reconnect schedule (SPEC K1); empty means the official
	// client's, protocol.ReconnectBackoff().
	Backoff protocol.Backoff
	// MaxChannelsPerSocket caps the topics placed on one socket (SPEC K6a).
	MaxChannelsPerSocket int
	// WriteQueueSize bounds the frames waiting to be written on one socket (SPEC K7).
	WriteQueueSize int
	// ReadLimit is the largest message accepted from the server; a larger one
	// closes the connection (close code 1009) and reconnects.
	ReadLimit int64
	// Serializer picks vsn 2.0.0 (default) or the legacy 1.0.0 (SPEC W5).
	Serializer protocol.Serializer
	// MaxJoinsInFlight bounds the joins awaiting a reply on one socket (SPEC L5).
	MaxJoinsInFlight int
	// OnStatus, when set, is called with every status change of every socket
	// of the endpoint, from that socket's actor, in order. It must not block.
	OnStatus func(messages.SocketEvent)
}

// withDefaults validates c and fills its zero fields.
func (c EndpointConfig) withDefaults() (EndpointConfig, error) {
	if _, err := protocol.EndpointURL(c.URL, nil, c.Serializer.Vsn()); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	bad := func(what string) (EndpointConfig, error) {
		return c, fmt.Errorf("%w: %s must not be negative", ErrInvalidConfig, what)
	}
	switch {
	case c.DialTimeout < 0:
		return bad("dial timeout")
	case c.HeartbeatInterval < 0:
		return bad("heartbeat interval")
	case c.MaxChannelsPerSocket < 0:
		return bad("max channels per socket")
	case c.WriteQueueSize < 0:
		return bad("write queue size")
	case c.ReadLimit < 0:
		return bad("read limit")
	case c.MaxJoinsInFlight < 0:
		return bad("max joins in flight")
	case c.Backoff.Jitter < 0 || c.Backoff.Jitter > 1:
		return c, fmt.Errorf("%w: backoff jitter must be within [0, 1]", ErrInvalidConfig)
	case c.Serializer != protocol.V1 && c.Serializer != protocol.V2:
		return c, fmt.Errorf("%w: unknown serializer %d", ErrInvalidConfig, int(c.Serializer))
	}
	for _, d := range c.Backoff.Steps {
		if d < 0 {
			return bad("backoff step")
		}
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.MaxChannelsPerSocket == 0 {
		c.MaxChannelsPerSocket = DefaultMaxChannelsPerSocket
	}
	if c.WriteQueueSize == 0 {
		c.WriteQueueSize = DefaultWriteQueueSize
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = DefaultReadLimit
	}
	if c.MaxJoinsInFlight == 0 {
		c.MaxJoinsInFlight = DefaultMaxJoinsInFlight
	}
	if len(c.Backoff.Steps) == 0 {
		c.Backoff.Steps = protocol.ReconnectBackoff().Steps
	}
	c.Header = c.Header.Clone()
	return c, nil
}
