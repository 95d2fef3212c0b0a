package supervisor

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/protocol"
)

// EndpointOption configures an Endpoint. Options are validated when the
// endpoint is made; a bad one gives an error matching ErrInvalidOption.
type EndpointOption func(*endpointOptions) error

type endpointOptions struct{ cfg actors.EndpointConfig }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithParams sets a function returning the connect params; it is called at
// every connect and reconnect, so a refreshed token is used (SPEC W1).
func WithParams(f func() url.Values) EndpointOption {
	return func(o *endpointOptions) error {
		if f == nil {
			return invalid("nil params function")
		}
		o.cfg.Params = f
		return nil
	}
}

// WithStaticParams sets connect params that never change.
func WithStaticParams(v url.Values) EndpointOption {
	v = cloneValues(v)
	return WithParams(func() url.Values { return cloneValues(v) })
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// WithAuthToken sets a function returning the token passed in the
// Sec-WebSocket-Protocol header to a socket declared with auth_token: true
// (SPEC W1a); called at every connect. An empty token sends none.
func WithAuthToken(f func() string) EndpointOption {
	return func(o *endpointOptions) error {
		if f == nil {
			return invalid("nil auth token function")
		}
		o.cfg.AuthToken = f
		return nil
	}
}

// WithHeader adds headers to the websocket upgrade request (SPEC K8).
func WithHeader(h http.Header) EndpointOption {
	return func(o *endpointOptions) error {
		if o.cfg.Header == nil {
			o.cfg.Header = make(http.Header)
		}
		for k, vs := range h {
			for _, v := range vs {
				o.cfg.Header.Add(k, v)
			}
		}
		return nil
	}
}

// WithDialTimeout bounds one connect: TCP, TLS and the websocket handshake
// (SPEC K8). Default 10 s.
func WithDialTimeout(d time.Duration) EndpointOption {
	return func(o *endpointOptions) error {
		if d <= 0 {
			return invalid("dial timeout %v must be positive", d)
		}
		o.cfg.DialTimeout = d
		return nil
	}
}

// WithTLSConfig sets the TLS configuration of wss connections. By default
// certificates are verified against the system roots (SPEC K8).
func WithTLSConfig(c *tls.Config) EndpointOption {
	return func(o *endpointOptions) error {
		o.cfg.TLSConfig = c.Clone()
		return nil
	}
}

// WithHeartbeatInterval sets the heartbeat interval, also the time a
// heartbeat has to be answered before the connection counts as dead
// (SPEC K2). Default 30 s; Phoenix closes a socket silent for 60 s.
func WithHeartbeatInterval(d time.Duration) EndpointOption {
	return func(o *endpointOptions) error {
		if d <= 0 {
			return invalid("heartbeat interval %v must be positive", d)
		}
		o.cfg.HeartbeatInterval = d
		return nil
	}
}

// WithReconnectBackoff sets the reconnect schedule (SPEC K1). The default is
// the official client's, protocol.ReconnectBackoff(); set b.Jitter to spread
// reconnects of many clients.
func WithReconnectBackoff(b protocol.Backoff) EndpointOption {
	return func(o *endpointOptions) error {
		if len(b.Steps) == 0 {
			return invalid("backoff has no steps")
		}
		for _, d := range b.Steps {
			if d < 0 {
				return invalid("backoff step %v is negative", d)
			}
		}
		if b.Jitter < 0 || b.Jitter > 1 {
			return invalid("backoff jitter %v is outside [0, 1]", b.Jitter)
		}
		o.cfg.Backoff = protocol.Backoff{Steps: append([]time.Duration(nil), b.Steps...), Jitter: b.Jitter}
		return nil
	}
}

// WithMaxChannelsPerSocket caps the channels placed on one socket; more
// topics open more sockets (SPEC K6a). Default 100, Phoenix's default cap.
func WithMaxChannelsPerSocket(n int) EndpointOption {
	return func(o *endpointOptions) error {
		if n <= 0 {
			return invalid("max channels per socket %d must be positive", n)
		}
		o.cfg.MaxChannelsPerSocket = n
		return nil
	}
}

// WithWriteQueueSize bounds the frames waiting to be written on one socket;
// a push that finds it full fails with ErrWriteQueueFull (SPEC K7).
// Default 1024.
func WithWriteQueueSize(n int) EndpointOption {
	return func(o *endpointOptions) error {
		if n <= 0 {
			return invalid("write queue size %d must be positive", n)
		}
		o.cfg.WriteQueueSize = n
		return nil
	}
}

// WithReadLimit sets the largest message accepted from the server, in
// bytes; a larger one closes the connection (code 1009) and reconnects.
// Default 16 MiB.
func WithReadLimit(n int64) EndpointOption {
	return func(o *endpointOptions) error {
		if n <= 0 {
			return invalid("read limit %d must be positive", n)
		}
		o.cfg.ReadLimit = n
		return nil
	}
}

// WithVsn1 speaks the legacy vsn 1.0.0 object format (SPEC W5).
func WithVsn1() EndpointOption {
	return func(o *endpointOptions) error {
		o.cfg.Serializer = protocol.V1
		return nil
	}
}

// WithNetDialContext replaces the TCP dialer, e.g. with an in-memory pipe in
// tests or a proxy dialer.
func WithNetDialContext(f func(ctx context.Context, network, addr string) (net.Conn, error)) EndpointOption {
	return func(o *endpointOptions) error {
		if f == nil {
			return invalid("nil dial function")
		}
		o.cfg.NetDialContext = f
		return nil
	}
}

// WithMaxJoinsInFlight bounds the joins awaiting their reply on one socket,
// so a reconnect rejoins many topics in paced waves (SPEC L5). Default 32.
func WithMaxJoinsInFlight(n int) EndpointOption {
	return func(o *endpointOptions) error {
		if n <= 0 {
			return invalid("max joins in flight %d must be positive", n)
		}
		o.cfg.MaxJoinsInFlight = n
		return nil
	}
}

// WithStatusHandler calls h with every status change of every socket of the
// endpoint (connecting, open, closed with why and the retry delay, closing),
// in order for each socket. h runs on the socket's actor and must not block.
func WithStatusHandler(h func(SocketEvent)) EndpointOption {
	return func(o *endpointOptions) error {
		if h == nil {
			return invalid("nil status handler")
		}
		o.cfg.OnStatus = h
		return nil
	}
}
