package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/phxtest"
)

// dialWith connects a gorilla client to srv through dial.
func dialWith(t *testing.T, srv *phxtest.Server, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *websocket.Conn {
	t.Helper()
	u, err := protocol.EndpointURL(srv.URL(), nil, "2.0.0")
	require.NoError(t, err)
	d := websocket.Dialer{NetDialContext: dial, HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial(u, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// Joins count as in flight from the moment they are written until their
// reply is read; a connection that drops forgets its unanswered joins.
func TestJoinWatchCountsJoinsInFlight(t *testing.T) {
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	defer srv.Close()
	w := &joinWatch{}
	var d net.Dialer
	ws := dialWith(t, srv, func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return w.wrap(c), nil
	})
	for i, topic := range []string{"room:a", "room:b", "nochannel:c"} {
		ref := itoa(i + 1)
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`["`+ref+`","`+ref+`","`+topic+`","phx_join",{}]`)))
	}
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`[null,"9","phoenix","heartbeat",{}]`)))
	require.EqualValues(t, 3, w.fl.now.Load(), "three joins written, none read back yet")
	for range 4 { // three join replies (one an error) and the heartbeat's
		_, _, err := ws.ReadMessage()
		require.NoError(t, err)
	}
	require.EqualValues(t, 0, w.fl.now.Load())
	require.EqualValues(t, 3, w.fl.peak.Load())

	// chat:slow takes 12 s to join: its join stays in flight until the
	// connection goes.
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`["10","10","`+phxtest.TopicSlow+`","phx_join",{}]`)))
	require.EqualValues(t, 1, w.fl.now.Load())
	require.NoError(t, ws.Close())
	require.EqualValues(t, 0, w.fl.now.Load())
	w.fl.resetPeak()
	require.EqualValues(t, 0, w.fl.peak.Load())
}
