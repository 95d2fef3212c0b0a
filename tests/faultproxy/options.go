package faultproxy

import (
	"context"
	"fmt"
	"net"
	"time"
)

// DialFunc opens a connection to the target. It has the shape of
// net.Dialer.DialContext; the proxy calls it with network "tcp" and the
// target given to New.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Option configures a Proxy in New. Options are applied in order; an invalid
// value makes New return an error matching ErrBadOption.
type Option func(*config) error

// defaultDialTimeout bounds the dial to the target unless WithDialTimeout says otherwise.
const defaultDialTimeout = 5 * time.Second

type config struct {
	latency      time.Duration
	throttle     int
	dial         DialFunc
	dialTimeout  time.Duration
	noListener   bool
	clientBuffer int
}

func defaultConfig() config {
	return config{dialTimeout: defaultDialTimeout}
}

// WithLatency sets the initial one-way latency (see SetLatency). Default 0.
func WithLatency(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative latency %v", ErrBadOption, d)
		}
		c.latency = d
		return nil
	}
}

// WithThrottle sets the initial bandwidth cap in bytes per second per
// direction per connection (see Throttle). Default 0, unlimited.
func WithThrottle(bytesPerSecond int) Option {
	return func(c *config) error {
		if bytesPerSecond < 0 {
			return fmt.Errorf("%w: negative throttle %d", ErrBadOption, bytesPerSecond)
		}
		c.throttle = bytesPerSecond
		return nil
	}
}

// WithDialer replaces the dialer used to reach the target. Default a
// net.Dialer bounded by the dial timeout. A custom dialer is how the proxy
// reaches an in-memory server (net.Pipe) under testing/synctest.
func WithDialer(dial DialFunc) Option {
	return func(c *config) error {
		if dial == nil {
			return fmt.Errorf("%w: nil dialer", ErrBadOption)
		}
		c.dial = dial
		return nil
	}
}

// WithDialTimeout bounds each dial to the target. Default 5s; it applies to
// the default dialer and, through the context, to a custom one.
func WithDialTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: dial timeout %v must be positive", ErrBadOption, d)
		}
		c.dialTimeout = d
		return nil
	}
}

// WithoutListener makes New open no socket: clients connect only through
// DialContext and Addr returns "". This is the mode for testing/synctest.
func WithoutListener() Option {
	return func(c *config) error {
		c.noListener = true
		return nil
	}
}

// WithClientBuffer sets the kernel receive and send buffer sizes, in bytes,
// of every accepted client socket. Small buffers make PauseReading back the
// client's writes up after little data (with 64 KiB here and on the client,
// about 250 KB on Linux loopback, against some 4 MB with autotuning). Sizes
// under the loopback MSS (64 KiB) make the kernel hold back window updates,
// so traffic resumes only after a persist timer (hundreds of ms) once a
// pause ends. Default 0, the system's autotuned sizes.
func WithClientBuffer(bytes int) Option {
	return func(c *config) error {
		if bytes < 0 {
			return fmt.Errorf("%w: negative client buffer %d", ErrBadOption, bytes)
		}
		c.clientBuffer = bytes
		return nil
	}
}
