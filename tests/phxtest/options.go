package phxtest

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Profile selects which Phoenix version's behaviour the server reproduces.
type Profile int

const (
	// Phoenix17 is Phoenix 1.7.24, the server the transcripts in
	// testdata/phoenix-wire were captured from. The default.
	Phoenix17 Profile = iota
	// Phoenix18 is Phoenix 1.8: phx_error carries {"reason":"channel_crash"},
	// a server disconnect closes with 1001, and a push with a stale join_ref
	// is ignored without a reply.
	Phoenix18
)

// String returns "phoenix-1.7" or "phoenix-1.8".
func (p Profile) String() string {
	if p == Phoenix18 {
		return "phoenix-1.8"
	}
	return "phoenix-1.7"
}

// Defaults.
const (
	// DefaultMaxChannels is Phoenix's per-socket channel cap.
	DefaultMaxChannels = 100
	// DefaultIdleTimeout is Phoenix's websocket timeout: a connection from
	// which nothing arrives for this long is closed with 1000.
	DefaultIdleTimeout = 60 * time.Second
)

// Option configures a Server.
type Option func(*config) error

type route struct {
	pattern string
	factory func() Channel
}

type config struct {
	profile     Profile
	maxChannels int
	auth        func(params url.Values, token string) bool
	socketID    func(params url.Values, token string) string
	idle        time.Duration
	routes      []route
	demo        *Demo
	logger      *slog.Logger
	recorder    *Recorder
	addr        string
}

func defaultConfig() config {
	return config{
		profile:     Phoenix17,
		maxChannels: DefaultMaxChannels,
		idle:        DefaultIdleTimeout,
		logger:      slog.New(slog.DiscardHandler),
	}
}

func buildConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// WithProfile selects the Phoenix version to reproduce (default Phoenix17).
func WithProfile(p Profile) Option {
	return func(c *config) error {
		if p != Phoenix17 && p != Phoenix18 {
			return fmt.Errorf("%w: unknown profile %d", ErrBadOption, p)
		}
		c.profile = p
		return nil
	}
}

// WithMaxChannels sets how many channels one connection may join (default
// 100); a join beyond it gets {"reason":"too many channels joined"}.
func WithMaxChannels(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max channels %d < 1", ErrBadOption, n)
		}
		c.maxChannels = n
		return nil
	}
}

// WithAuth decides which connections are accepted (Phoenix's
// UserSocket.connect/3). params is the websocket URL's query; token is the
// auth token from the Sec-WebSocket-Protocol header, "" when none. A refused
// connection gets HTTP 403 with an empty body and no upgrade. By default
// every connection is accepted.
func WithAuth(accept func(params url.Values, token string) bool) Option {
	return func(c *config) error {
		c.auth = accept
		return nil
	}
}

// RequireToken accepts only connections whose "token" param or auth token
// is token (the transcripts' server accepts only token=good).
func RequireToken(token string) Option {
	return WithAuth(func(params url.Values, t string) bool {
		return params.Get("token") == token || (t != "" && t == token)
	})
}

// WithSocketID sets the socket id function (Phoenix's UserSocket.id/1),
// used by Server.Disconnect. The default is "user_socket:<token>" when the
// client gave a token param or auth token, else "" (no id).
func WithSocketID(id func(params url.Values, token string) string) Option {
	return func(c *config) error {
		c.socketID = id
		return nil
	}
}

// WithIdleTimeout sets the idle timeout (default 60 s): no frame from the
// client for d closes the connection with 1000. 0 disables it.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: idle timeout %v < 0", ErrBadOption, d)
		}
		c.idle = d
		return nil
	}
}

// WithChannel routes topics matching pattern to channels made by factory,
// one per join. A pattern ending in "*" matches every topic with that prefix
// ("chat:*" matches "chat:lobby", not "chat"), as Phoenix's channel macro;
// other patterns match exactly. The first matching route wins.
func WithChannel(pattern string, factory func() Channel) Option {
	return func(c *config) error {
		if pattern == "" || strings.Contains(strings.TrimSuffix(pattern, "*"), "*") {
			return fmt.Errorf("%w: channel pattern %q (only a trailing * is allowed)", ErrBadOption, pattern)
		}
		if factory == nil {
			return fmt.Errorf("%w: nil channel factory for %q", ErrBadOption, pattern)
		}
		c.routes = append(c.routes, route{pattern: pattern, factory: factory})
		return nil
	}
}

// WithDemoApp installs the demo app: "chat:*" and "room:*" channels that
// answer like the transcripts' server (see Demo), routed at this option's
// place among the WithChannel routes.
func WithDemoApp() Option {
	return func(c *config) error {
		if c.demo != nil {
			return nil
		}
		d := NewDemo()
		c.demo = d
		c.routes = append(c.routes,
			route{pattern: "chat:*", factory: func() Channel { return &chatChannel{d: d} }},
			route{pattern: "room:*", factory: func() Channel { return roomChannel{} }},
		)
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrBadOption)
		}
		c.logger = l
		return nil
	}
}

// WithRecorder records every frame in and out of every connection into r.
func WithRecorder(r *Recorder) Option {
	return func(c *config) error {
		c.recorder = r
		return nil
	}
}

// WithAddr sets the TCP address NewServer and Listen listen on (default
// "127.0.0.1:0"). The pipe server ignores it.
func WithAddr(addr string) Option {
	return func(c *config) error {
		c.addr = addr
		return nil
	}
}

func (c *config) route(topic string) *route {
	for i := range c.routes {
		r := &c.routes[i]
		if p, ok := strings.CutSuffix(r.pattern, "*"); ok {
			if strings.HasPrefix(topic, p) {
				return r
			}
		} else if topic == r.pattern {
			return r
		}
	}
	return nil
}
