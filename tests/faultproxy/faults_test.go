package faultproxy

import (
	"context"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLatencyAddsAtLeastTheDelayEachWay(t *testing.T) {
	const delay = 200 * time.Millisecond // upper bounds are 2*delay: loose, for loaded CI machines
	p := newProxy(t, startEcho(t))
	c := dial(t, p)
	require.Less(t, roundTrip(t, c, "warm"), 2*delay)

	require.NoError(t, p.SetLatency(delay)) // on a live connection
	require.GreaterOrEqual(t, roundTrip(t, c, "slow"), 2*delay, "one delay each way")
	require.GreaterOrEqual(t, roundTrip(t, c, "again"), 2*delay)

	require.NoError(t, p.SetLatency(0))
	require.Less(t, roundTrip(t, c, "fast"), 2*delay)
}

func TestThrottleBoundsThroughput(t *testing.T) {
	const rate, size = 100_000, 50_000
	payload := make([]byte, size)
	source := startServer(t, func(c net.Conn) { _, _ = c.Write(payload) })
	p := newProxy(t, source, WithThrottle(rate))
	c := dial(t, p)
	start := time.Now()
	n, err := io.Copy(io.Discard, c)
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	// size/rate = 500 ms; the first piece (1/20 s worth) goes at once. The
	// upper bound is checked exactly on the fake clock (synctest_test.go):
	// here timers run late on a loaded machine.
	ideal := time.Duration(size) * time.Second / rate
	require.GreaterOrEqual(t, elapsed, ideal-time.Second/pieceDivisor-10*time.Millisecond)
}

func TestThrottleChangesOnLiveConnection(t *testing.T) {
	const rate = 2000 // 100-byte pieces every 50 ms each way
	p := newProxy(t, startEcho(t))
	c := dial(t, p)
	roundTrip(t, c, "warm")
	require.NoError(t, p.Throttle(rate))
	start := time.Now()
	msg := make([]byte, 4000)
	_, err := c.Write(msg)
	require.NoError(t, err)

	_, err = io.ReadFull(c, make([]byte, 1)) // data flows, slowly
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	n, err := io.ReadFull(c, make([]byte, len(msg)-1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	got := 1 + n
	// The echo's leg adds one piece of burst; allow one more for rounding.
	limit := int(time.Since(start).Seconds()*rate) + 2*rate/pieceDivisor
	require.LessOrEqual(t, got, limit, "throttled to %d B/s", rate)

	require.NoError(t, p.Throttle(0))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	start = time.Now()
	_, err = io.ReadFull(c, make([]byte, len(msg)-got))
	require.NoError(t, err)
	// Still throttled, the remaining 3000-odd bytes would take 1.5 s or more.
	require.Less(t, time.Since(start), time.Second, "unthrottled at once")
}

func TestBlackholeHoldsDataWhileConnectionStaysOpen(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c := dial(t, p)
	roundTrip(t, c, "warm")
	// The proxy counts a write after it returns, which may be after the client read it.
	require.Eventually(t, func() bool { st := p.Stats(); return st.ToTarget == 4 && st.ToClient == 4 },
		ioTimeout, time.Millisecond)
	before := p.Stats()

	p.Blackhole(true)
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err, "writes still succeed")
	require.NoError(t, c.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	n, err := c.Read(make([]byte, 4))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "reads hang until the deadline")
	require.Zero(t, n)
	require.Equal(t, 1, p.Conns(), "TCP stays open")
	require.Equal(t, before, p.Stats(), "nothing delivered")

	p.Blackhole(false)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	got := make([]byte, 4)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, "ping", string(got), "held data is delivered after the blackhole")
}

func TestBlackholeHoldsClose(t *testing.T) {
	eof := make(chan struct{}, 1)
	target := startServer(t, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c)
		eof <- struct{}{}
	})
	p := newProxy(t, target)
	c := dial(t, p)
	_, err := c.Write([]byte("hi"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().ToTarget == 2 }, ioTimeout, time.Millisecond)

	p.Blackhole(true)
	require.NoError(t, c.Close())
	select {
	case <-eof:
		t.Fatal("the server saw the client leave through a blackhole")
	case <-time.After(200 * time.Millisecond):
	}
	require.Equal(t, 1, p.Conns(), "half-open: the server side is still connected")

	p.Blackhole(false)
	select {
	case <-eof:
	case <-time.After(ioTimeout):
		t.Fatal("the held FIN never reached the server")
	}
}

func TestBlackholeStallsNewConnections(t *testing.T) {
	p := newProxy(t, startEcho(t))
	p.Blackhole(true)
	c := dial(t, p) // TCP connects: the client cannot tell
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(150*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	p.Blackhole(false)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err)
}

func TestPauseReadingBacksUpClientWrites(t *testing.T) {
	p := newProxy(t, startServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }),
		WithClientBuffer(64<<10))
	c := dial(t, p)
	require.NoError(t, c.SetWriteBuffer(64<<10))

	p.PauseReading(true)
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(500*time.Millisecond)))
	block := make([]byte, 4<<10)
	written := 0
	var err error
	for written < 64<<20 && err == nil {
		var n int
		n, err = c.Write(block)
		written += n
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "writes back up and block")
	require.Zero(t, p.Stats().ToTarget, "nothing was read from the client")
	require.Equal(t, 1, p.Conns())

	p.PauseReading(false)
	require.Eventually(t, func() bool { return p.Stats().ToTarget == int64(written) },
		ioTimeout, time.Millisecond, "everything written arrives after the pause")
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(ioTimeout)))
	_, err = c.Write(block)
	require.NoError(t, err)
}

func TestPauseReadingInterruptsLiveRead(t *testing.T) {
	p := newProxy(t, startEcho(t))
	c := dial(t, p)
	roundTrip(t, c, "warm") // the proxy's reader is now blocked in Read
	require.Eventually(t, func() bool { return p.Stats().ToTarget == 4 }, ioTimeout, time.Millisecond)
	p.PauseReading(true)
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(150*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "not even one more chunk is read")
	require.Equal(t, int64(4), p.Stats().ToTarget)

	p.PauseReading(false)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(ioTimeout)))
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err)
}

func TestRefuseNew(t *testing.T) {
	p := newProxy(t, startEcho(t))
	live := dial(t, p)
	roundTrip(t, live, "a")

	p.RefuseNew(true)
	if c, err := net.DialTimeout("tcp", p.Addr(), ioTimeout); err != nil {
		requireCut(t, err) // the RST may beat connect
	} else {
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(ioTimeout)))
		_, err = c.Read(make([]byte, 1))
		requireCut(t, err)
	}
	_, err := p.DialContext(context.Background(), "tcp", "")
	require.ErrorIs(t, err, ErrRefused)
	require.Eventually(t, func() bool { return p.Stats().Refused == 2 }, ioTimeout, time.Millisecond)
	roundTrip(t, live, "live connections are unaffected")
	require.Equal(t, 1, p.Conns())

	p.RefuseNew(false)
	roundTrip(t, dial(t, p), "accepted again")
	require.Equal(t, int64(2), p.Stats().Opened)
}

func TestResetAllCutsWithoutClose(t *testing.T) {
	seen := make(chan error, 1)
	target := startServer(t, func(c net.Conn) {
		_, err := io.Copy(c, c) // returns nil on a clean EOF
		seen <- err
	})
	p := newProxy(t, target)
	c := dial(t, p)
	roundTrip(t, c, "warm")
	require.NoError(t, p.SetLatency(time.Hour)) // held data is dropped too
	_, err := c.Write([]byte("lost"))
	require.NoError(t, err)

	require.Equal(t, 1, p.ResetAll())
	require.Equal(t, 0, p.Conns())
	require.Equal(t, int64(1), p.Stats().Cuts)
	_, err = c.Read(make([]byte, 1))
	requireCut(t, err)
	select {
	case err := <-seen:
		require.ErrorIs(t, err, syscall.ECONNRESET, "server must see a reset, not a clean EOF")
	case <-time.After(ioTimeout):
		t.Fatal("server never saw the cut")
	}
	require.Zero(t, p.ResetAll(), "nothing left to cut")
}
