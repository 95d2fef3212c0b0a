package faultproxy

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// pipeEcho is a dialer to an in-memory echo server, usable inside a bubble.
func pipeEcho(ctx context.Context, network, addr string) (net.Conn, error) {
	server, client := net.Pipe()
	go func() {
		defer server.Close()
		_, _ = io.Copy(server, server)
	}()
	return client, nil
}

func TestFakeClockUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New("echo:1", WithoutListener(), WithDialer(pipeEcho), WithLatency(3*time.Second))
		require.NoError(t, err)
		require.Empty(t, p.Addr())
		c, err := p.DialContext(t.Context(), "tcp", "ignored")
		require.NoError(t, err)
		t.Cleanup(func() { // inside the bubble, also when an assertion fails
			c.Close()
			p.Close()
		})

		start := time.Now()
		roundTrip(t, c, "x")
		require.Equal(t, 6*time.Second, time.Since(start), "3 s each way on the fake clock")

		// Latency is pipelined and keeps order: ten chunks written 10 ms
		// apart all come back one round trip after they were sent.
		start = time.Now()
		for i := range 10 {
			_, err := c.Write([]byte{byte('0' + i)})
			require.NoError(t, err)
			time.Sleep(10 * time.Millisecond)
		}
		got := make([]byte, 10)
		_, err = io.ReadFull(c, got)
		require.NoError(t, err)
		require.Equal(t, "0123456789", string(got))
		require.Equal(t, 6*time.Second+90*time.Millisecond, time.Since(start))

		// Throttle: 10 B/s is 1-byte pieces every 100 ms, pipelined both ways.
		require.NoError(t, p.SetLatency(0))
		require.NoError(t, p.Throttle(10))
		start = time.Now()
		roundTrip(t, c, "0123456789")
		require.Equal(t, 900*time.Millisecond, time.Since(start))

		// 50 kB at 100 kB/s through the echo (both legs throttled, pipelined)
		// takes 0.5 s less the first piece, give or take a piece.
		const rate, size = 100_000, 50_000
		require.NoError(t, p.Throttle(rate))
		start = time.Now()
		wrote := make(chan error, 1)
		go func() {
			_, err := c.Write(make([]byte, size))
			wrote <- err
		}()
		_, err = io.ReadFull(c, make([]byte, size))
		require.NoError(t, err)
		require.NoError(t, <-wrote)
		piece := time.Second / pieceDivisor
		require.InDelta(t, float64(size*time.Second/rate-piece), float64(time.Since(start)), float64(piece))
		require.NoError(t, p.Throttle(0))

		// Blackhole: a 30 s heartbeat deadline expires, then held data flows.
		p.Blackhole(true)
		_, err = c.Write([]byte("hb"))
		require.NoError(t, err)
		start = time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(30*time.Second)))
		_, err = c.Read(make([]byte, 2))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.Equal(t, 30*time.Second, time.Since(start))
		p.Blackhole(false)
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		_, err = io.ReadFull(c, make([]byte, 2))
		require.NoError(t, err)

		// A reset reaches a pipe client as EOF.
		require.Equal(t, 1, p.ResetAll())
		_, err = c.Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF)
		require.NoError(t, p.Close())
		require.Equal(t, 0, p.Conns())
	})
}
