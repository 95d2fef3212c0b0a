package faultproxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every blocking step of a test so a broken proxy fails fast.
const ioTimeout = 5 * time.Second

// startServer runs a loopback TCP server that calls handle for each
// connection (closing it afterwards) and stops it, waiting for its
// goroutines, when the test ends.
func startServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo copies everything back and half-closes on EOF.
func echo(c net.Conn) {
	_, _ = io.Copy(c, c)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// startEcho runs a TCP echo server.
func startEcho(t *testing.T) string { return startServer(t, echo) }

// newProxy builds a proxy closed when the test ends.
func newProxy(t *testing.T, target string, opts ...Option) *Proxy {
	t.Helper()
	p, err := New(target, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// dial connects to the proxy with a deadline on every operation.
func dial(t *testing.T, p *Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), ioTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(ioTimeout)))
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads it back, returning the time it took.
func roundTrip(t *testing.T, c net.Conn, msg string) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, msg, string(got))
	return time.Since(start)
}

// requireCut asserts err is what a peer sees after a reset: ECONNRESET or
// EOF, never a timeout.
func requireCut(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "got a timeout, want a cut: %v", err)
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF), "want reset or EOF, got %v", err)
}

// wsServer is a gorilla websocket echo server that reports each
// connection's final read error.
type wsServer struct {
	srv    *httptest.Server
	ended  chan error
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []*websocket.Conn
	closed bool
}

func startWSEcho(t *testing.T) *wsServer {
	t.Helper()
	s := &wsServer{ended: make(chan error, 16)}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			ws.Close()
			return
		}
		s.conns = append(s.conns, ws)
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		defer ws.Close()
		for {
			mt, msg, err := ws.ReadMessage()
			if err != nil {
				s.ended <- err
				return
			}
			if err := ws.WriteMessage(mt, msg); err != nil {
				s.ended <- err
				return
			}
		}
	}))
	t.Cleanup(func() {
		s.mu.Lock()
		s.closed = true
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.srv.Close()
	})
	return s
}

func (s *wsServer) addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// dialWS opens a websocket to the echo server through the proxy.
func dialWS(t *testing.T, p *Proxy) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: ioTimeout}
	ws, _, err := d.Dial("ws://"+p.Addr()+"/", nil)
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	return ws
}

// requireAbnormal asserts a websocket read error is an abnormal close
// (1006, EOF or a reset), not a close frame from the peer.
func requireAbnormal(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		require.Equal(t, websocket.CloseAbnormalClosure, ce.Code, "want 1006, got %v", err)
		return
	}
	requireCut(t, err)
}
