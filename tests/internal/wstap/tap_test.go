package wstap

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/tests/phxtest"
)

// frameLog records what a Tap hands over.
type frameLog struct {
	mu             sync.Mutex
	sent, received []string
	ends           int
}

func (l *frameLog) frame(sent bool, p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sent {
		l.sent = append(l.sent, string(p))
	} else {
		l.received = append(l.received, string(p))
	}
}

func (l *frameLog) end() {
	l.mu.Lock()
	l.ends++
	l.mu.Unlock()
}

func (l *frameLog) snapshot() (sent, received []string, ends int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent...), append([]string(nil), l.received...), l.ends
}

// A tapped client connection hands over the frames the client writes and
// the frames it reads, past the upgrade on both sides, and ends once
// however often it is closed.
func TestTapSeesBothWaysAndEndsOnceOnClose(t *testing.T) {
	log := &frameLog{}
	var tc net.Conn
	ws := dialDemo(t, 0, func(srv *phxtest.Server) func(ctx context.Context, network, addr string) (net.Conn, error) {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := srv.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc = Tap(c, log.frame, log.end)
			return tc, nil
		}
	})
	hb := `[null,"1","phoenix","heartbeat",{}]`
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(hb)))
	_, reply, err := ws.ReadMessage()
	require.NoError(t, err)
	sent, received, ends := log.snapshot()
	require.Equal(t, []string{hb}, sent)
	require.Equal(t, []string{string(reply)}, received, "the server's frame, unmasked, and nothing of the upgrade response")
	require.Contains(t, string(reply), `"phx_reply"`)
	require.Zero(t, ends)

	require.NoError(t, tc.Close())
	_ = tc.Close()
	_, err = tc.Read(make([]byte, 16)) // a read error after the close
	require.Error(t, err)
	_, _, ends = log.snapshot()
	require.Equal(t, 1, ends)
}

// A read error ends the tap (once), before any Close; nil hooks are fine.
func TestTapEndsOnReadError(t *testing.T) {
	a, b := net.Pipe()
	log := &frameLog{}
	tc := Tap(a, nil, log.end)
	require.NoError(t, b.Close())
	_, err := tc.Read(make([]byte, 16))
	require.ErrorIs(t, err, io.EOF)
	_, _, ends := log.snapshot()
	require.Equal(t, 1, ends)
	require.NoError(t, tc.Close())
	_, _, ends = log.snapshot()
	require.Equal(t, 1, ends)

	quiet := Tap(b, nil, nil)
	_, err = quiet.Read(make([]byte, 1))
	require.Error(t, err)
	require.NoError(t, quiet.Close())
}
