package wstap

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/phxtest"
)

// recordingConn keeps every byte written to it.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// written returns a copy of the bytes written so far.
func (c *recordingConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out.Bytes())
}

// dialDemo connects a gorilla client to a fresh demo server through dial,
// with the given write buffer size (0: gorilla's default).
func dialDemo(t *testing.T, writeBuf int, dial func(srv *phxtest.Server) func(ctx context.Context, network, addr string) (net.Conn, error)) *websocket.Conn {
	t.Helper()
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	t.Cleanup(srv.Close)
	u, err := protocol.EndpointURL(srv.URL(), nil, "2.0.0")
	require.NoError(t, err)
	d := websocket.Dialer{NetDialContext: dial(srv), HandshakeTimeout: 5 * time.Second, WriteBufferSize: writeBuf}
	ws, _, err := d.Dial(u, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// recordClient dials the demo server with a gorilla client whose written
// bytes are recorded.
func recordClient(t *testing.T, writeBuf int) (*websocket.Conn, *recordingConn) {
	var rec *recordingConn
	ws := dialDemo(t, writeBuf, func(srv *phxtest.Server) func(ctx context.Context, network, addr string) (net.Conn, error) {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := srv.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			rec = &recordingConn{Conn: c}
			return rec, nil
		}
	})
	return ws, rec
}

// scanInPieces feeds stream to a fresh scanner (skipping the HTTP head) in
// pieces of the given size and returns the frames it handed over.
func scanInPieces(stream []byte, piece int) []string {
	var got []string
	s := Scanner{OnFrame: func(p []byte) { got = append(got, string(p)) }, SkipHTTP: true}
	for i := 0; i < len(stream); i += piece {
		s.Feed(stream[i:min(i+piece, len(stream))])
	}
	return got
}

// The scanner finds exactly the small text frames a real gorilla client
// wrote (masked), whatever pieces the stream arrives in; a frame above the
// size bound (64-bit length header) is skipped.
func TestScannerReadsMaskedClientFrames(t *testing.T) {
	ws, rec := recordClient(t, 0)
	sent := []string{
		`["1","1","room:a","phx_join",{}]`,
		`["1","2","room:a","echo",{"body":"` + strings.Repeat("y", 300) + `"}]`,   // 16-bit length
		`["1","3","room:a","echo",{"body":"` + strings.Repeat("z", 70000) + `"}]`, // 64-bit length, above the bound
		`[null,"4","phoenix","heartbeat",{}]`,
	}
	for _, s := range sent {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(s)))
	}
	stream := rec.written()
	want := []string{sent[0], sent[1], sent[3]}

	for _, piece := range []int{1, 3, 7, len(stream)} {
		require.Equal(t, want, scanInPieces(stream, piece), "pieces of %d bytes", piece)
	}
}

// A text message gorilla sends in several frames (its write buffer is
// smaller than the message) and a binary message are skipped; the frames
// after them are still found.
func TestScannerSkipsFragmentedAndBinaryFrames(t *testing.T) {
	ws, rec := recordClient(t, 64)
	long := `["1","1","room:a","echo",{"body":"` + strings.Repeat("f", 200) + `"}]`
	small := `[null,"2","phoenix","heartbeat",{}]`
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(long)))
	require.NoError(t, ws.WriteMessage(websocket.BinaryMessage, []byte(small)))
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(small)))
	stream := rec.written()
	require.NotContains(t, string(stream), "heartbeat", "the client's frames are masked")

	for _, piece := range []int{1, 5, len(stream)} {
		require.Equal(t, []string{small}, scanInPieces(stream, piece), "pieces of %d bytes", piece)
	}
}
