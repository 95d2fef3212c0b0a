package faultproxy

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

func TestWebsocketEchoThroughProxy(t *testing.T) {
	s := startWSEcho(t)
	p := newProxy(t, s.addr())
	ws := dialWS(t, p)
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(ioTimeout)))
	for _, msg := range []string{"hello", `[null,"1","phoenix","heartbeat",{}]`} {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(msg)))
		mt, got, err := ws.ReadMessage()
		require.NoError(t, err)
		require.Equal(t, websocket.TextMessage, mt)
		require.Equal(t, msg, string(got))
	}

	// A clean close still travels as a close frame.
	require.NoError(t, ws.WriteMessage(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")))
	select {
	case err := <-s.ended:
		require.True(t, websocket.IsCloseError(err, websocket.CloseNormalClosure), "got %v", err)
	case <-time.After(ioTimeout):
		t.Fatal("server never saw the close frame")
	}
}

func TestWebsocketResetIsAbnormalClosure(t *testing.T) {
	s := startWSEcho(t)
	p := newProxy(t, s.addr())
	ws := dialWS(t, p)
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(ioTimeout)))
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("warm")))
	_, _, err := ws.ReadMessage()
	require.NoError(t, err)

	require.Equal(t, 1, p.ResetAll())
	_, _, err = ws.ReadMessage()
	requireAbnormal(t, err)
	select {
	case err := <-s.ended: // the server side sees no close frame either
		requireAbnormal(t, err)
	case <-time.After(ioTimeout):
		t.Fatal("server never saw the cut")
	}
}

func TestWebsocketBlackholeOnlyHeartbeatNotices(t *testing.T) {
	s := startWSEcho(t)
	p := newProxy(t, s.addr())
	ws := dialWS(t, p)

	p.Blackhole(true)
	for range 3 { // heartbeats go out without error
		require.NoError(t, ws.SetWriteDeadline(time.Now().Add(ioTimeout)))
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("heartbeat")))
	}
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, _, err := ws.ReadMessage()
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "reads hang until the deadline: %v", err)
	require.Equal(t, 1, p.Conns())
	select {
	case err := <-s.ended:
		t.Fatalf("the server noticed: %v", err)
	default:
	}

	// A new websocket cannot complete its handshake through the blackhole.
	d := websocket.Dialer{HandshakeTimeout: 150 * time.Millisecond}
	_, _, err = d.Dial("ws://"+p.Addr()+"/", nil)
	require.Error(t, err)
	p.Blackhole(false)
	dialWS(t, p)
}
