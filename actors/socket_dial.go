package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// Gorilla buffer sizes: the read buffer is per connection (idle cost), the
// write buffer comes from a pool only while a message is being written.
const (
	readBufferSize  = gorillaReadBuf
	writeBufferSize = 16 << 10
)

var errUserFuncPanic = errors.New("params or auth token function panicked")

// dial makes one connection attempt (SPEC K1, K8, W1, W1a): the params and
// token functions are called now, so a refreshed token is used. A refused
// upgrade carries its HTTP status. User code that panics is a dial error.
func (c *socketCore) dial(ctx context.Context) (ws *websocket.Conn, bc *bufConn, err error) {
	defer func() {
		if r := recover(); r != nil {
			ws, bc = nil, nil
			err = &messages.ConnectionError{Op: "dial", Err: fmt.Errorf("%w: %v", errUserFuncPanic, r)}
		}
	}()
	var params url.Values
	if c.cfg.Params != nil {
		params = c.cfg.Params()
	}
	u, err := protocol.EndpointURL(c.cfg.URL, params, c.cfg.Serializer.Vsn())
	if err != nil {
		return nil, nil, &messages.ConnectionError{Op: "dial", Err: err}
	}
	base := c.cfg.NetDialContext
	if base == nil {
		base = (&net.Dialer{}).DialContext
	}
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := base(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			bc = &bufConn{Conn: conn}
			return bc, nil
		},
		HandshakeTimeout: c.cfg.DialTimeout,
		TLSClientConfig:  c.cfg.TLSConfig,
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  writeBufferSize,
		WriteBufferPool:  &wsWritePool,
	}
	if c.cfg.AuthToken != nil {
		if tok := c.cfg.AuthToken(); tok != "" {
			d.Subprotocols = protocol.AuthProtocols(tok)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	ws, resp, err := d.DialContext(ctx, u, c.cfg.Header)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if bc != nil {
			_ = bc.Close()
		}
		ce := &messages.ConnectionError{Op: "dial", Err: err}
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			ce.HTTPCode = resp.StatusCode
		}
		return nil, nil, ce
	}
	bc.enable()
	return ws, bc, nil
}
