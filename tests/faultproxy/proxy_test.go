package faultproxy

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadInput(t *testing.T) {
	for _, target := range []string{"", "nope", "127.0.0.1:", "a:b:c"} {
		_, err := New(target)
		require.ErrorIs(t, err, ErrBadTarget, "target %q", target)
	}
	bad := map[string]Option{
		"negative latency":  WithLatency(-time.Millisecond),
		"negative throttle": WithThrottle(-1),
		"nil dialer":        WithDialer(nil),
		"zero dial timeout": WithDialTimeout(0),
		"negative buffer":   WithClientBuffer(-1),
		"nil option":        nil,
	}
	for name, opt := range bad {
		_, err := New("127.0.0.1:1", opt)
		require.ErrorIs(t, err, ErrBadOption, name)
	}
	p := newProxy(t, "127.0.0.1:1")
	require.ErrorIs(t, p.SetLatency(-1), ErrBadOption)
	require.ErrorIs(t, p.Throttle(-1), ErrBadOption)
}

func TestForwardsBothWaysAndCounts(t *testing.T) {
	p := newProxy(t, startEcho(t))
	host, _, err := net.SplitHostPort(p.Addr())
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host, "loopback only")

	c := dial(t, p)
	roundTrip(t, c, "hello")
	require.Equal(t, 1, p.Conns())
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool { return p.Conns() == 0 }, ioTimeout, time.Millisecond)
	require.Equal(t, Stats{Opened: 1, ToTarget: 5, ToClient: 5}, p.Stats())
}

func TestHalfCloseTravelsThrough(t *testing.T) {
	// The server answers only after it has read EOF, so the answer arrives
	// only if the proxy half-closes instead of closing both ways.
	p := newProxy(t, startServer(t, func(c net.Conn) {
		got, _ := io.ReadAll(c)
		_, _ = c.Write([]byte("got " + string(got)))
	}))
	c := dial(t, p)
	_, err := c.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	rest, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "got bye", string(rest))
	require.Eventually(t, func() bool { return p.Conns() == 0 }, ioTimeout, time.Millisecond)
}

func TestLargeTransferKeepsOrderUnderChangingFaults(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c := dial(t, p)
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	data := make([]byte, 2<<20)
	_, _ = rand.Read(data)

	stop := make(chan struct{})
	toggled := make(chan int)
	go func() { // flip every control while data flows
		i := 0
		defer func() { toggled <- i }()
		for ; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
			_ = p.SetLatency(time.Duration(i%3) * time.Millisecond)
			_ = p.Throttle([]int{0, 20 << 20}[i%2])
			p.Blackhole(i%4 == 0)
			p.PauseReading(i%3 == 0)
		}
	}()
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		writeErr <- err
	}()
	got := make([]byte, len(data))
	_, err := io.ReadFull(c, got)
	close(stop)
	require.Positive(t, <-toggled, "the controls changed during the transfer")
	require.NoError(t, err)
	require.NoError(t, <-writeErr)
	require.Equal(t, data, got, "bytes arrive complete and in order")
}

func TestDialFailureDropsClient(t *testing.T) {
	errDown := errors.New("target down")
	p := newProxy(t, "127.0.0.1:1", WithDialer(func(context.Context, string, string) (net.Conn, error) {
		return nil, errDown
	}))
	// The proxy resets the client so fast that connect itself may see the RST.
	if c, err := net.DialTimeout("tcp", p.Addr(), ioTimeout); err != nil {
		requireCut(t, err)
	} else {
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(ioTimeout)))
		_, err = c.Read(make([]byte, 1))
		requireCut(t, err)
	}
	require.Eventually(t, func() bool { return p.Stats().DialFailures == 1 }, ioTimeout, time.Millisecond)

	_, err := p.DialContext(context.Background(), "tcp", "ignored")
	require.ErrorIs(t, err, errDown)
	require.Equal(t, int64(2), p.Stats().DialFailures)
	require.Zero(t, p.Stats().Opened)
}

func TestDialsARealDeadPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	p := newProxy(t, dead)
	require.NotEqual(t, dead, p.Addr(), "never its own target")
	_, err = p.DialContext(context.Background(), "tcp", "")
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func TestCloseEndsEverythingAndIsIdempotent(t *testing.T) {
	p, err := New(startEcho(t))
	require.NoError(t, err)
	c := dial(t, p)
	roundTrip(t, c, "x")
	pc, err := p.DialContext(context.Background(), "tcp", "")
	require.NoError(t, err)
	defer pc.Close()
	require.Equal(t, 2, p.Conns())

	require.NoError(t, p.Close())
	require.Equal(t, 0, p.Conns())
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	_, err = pc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)

	require.NoError(t, p.Close())
	_, err = p.DialContext(context.Background(), "tcp", "")
	require.ErrorIs(t, err, ErrClosed)
	_, err = net.DialTimeout("tcp", p.Addr(), time.Second)
	require.Error(t, err, "listener is closed")
}

func TestDialContextRejectsNilContext(t *testing.T) {
	p := newProxy(t, "127.0.0.1:1", WithoutListener())
	_, err := p.DialContext(nil, "tcp", "") //nolint:staticcheck // the nil check is the point
	require.ErrorIs(t, err, ErrBadOption)
}
