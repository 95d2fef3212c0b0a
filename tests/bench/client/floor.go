package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/rvct/phoenix/protocol"
)

// The floor client: gorilla/websocket and encoding/json, no channel logic.
// Frames are encoded with json.Marshal and decoded into []json.RawMessage,
// then the fields the workload needs into Go values: the cost every Go
// client pays at least, whatever its design.

// floorConn is one websocket connection of the floor client. Writes are
// serialised by a mutex (one write syscall per frame); reads belong to one
// goroutine.
type floorConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	stop func() bool // stops closing the connection when the context ends
}

// socketParams are sent by every client kind (the demo app accepts token=good).
func socketParams() url.Values { return url.Values{"token": {"good"}} }

func dialFloor(ctx context.Context, socketURL string) (*floorConn, error) {
	u, err := protocol.EndpointURL(socketURL, socketParams(), "2.0.0")
	if err != nil {
		return nil, err
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	// The workload's context ending closes the connection, which ends any read.
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	return &floorConn{ws: ws, stop: stop}, nil
}

func (c *floorConn) close() {
	c.stop()
	_ = c.ws.Close()
}

// write sends [join_ref, ref, topic, event, payload]; empty refs are null.
func (c *floorConn) write(joinRef, ref, topic, event string, payload any) error {
	b, err := json.Marshal([5]any{nullable(joinRef), nullable(ref), topic, event, payload})
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// floorFrame is a decoded envelope; Payload stays raw.
type floorFrame struct {
	JoinRef, Ref, Topic, Event string
	Payload                    json.RawMessage
}

// read reads and decodes one frame.
func (c *floorConn) read() (floorFrame, error) {
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return floorFrame{}, err
	}
	return decodeFloor(data)
}

func decodeFloor(data []byte) (floorFrame, error) {
	var env []json.RawMessage
	if err := json.Unmarshal(data, &env); err != nil {
		return floorFrame{}, err
	}
	if len(env) != 5 {
		return floorFrame{}, fmt.Errorf("frame with %d elements", len(env))
	}
	var jr, ref *string
	var f floorFrame
	if err := json.Unmarshal(env[0], &jr); err != nil {
		return f, err
	}
	if err := json.Unmarshal(env[1], &ref); err != nil {
		return f, err
	}
	if err := json.Unmarshal(env[2], &f.Topic); err != nil {
		return f, err
	}
	if err := json.Unmarshal(env[3], &f.Event); err != nil {
		return f, err
	}
	if jr != nil {
		f.JoinRef = *jr
	}
	if ref != nil {
		f.Ref = *ref
	}
	f.Payload = env[4]
	return f, nil
}

// floorReply is a phx_reply payload with a typed response.
type floorReply[T any] struct {
	Status   string `json:"status"`
	Response T      `json:"response"`
}

// emptyObject is the {} payload of joins.
var emptyObject = struct{}{}

// joinSync joins one topic and waits for its reply (nothing else may be
// read meanwhile).
func (c *floorConn) joinSync(topic, ref string) error {
	if err := c.write(ref, ref, topic, protocol.EventJoin, emptyObject); err != nil {
		return err
	}
	for {
		f, err := c.read()
		if err != nil {
			return err
		}
		if f.Event != protocol.EventReply || f.Ref != ref {
			continue
		}
		var rep floorReply[json.RawMessage]
		if err := json.Unmarshal(f.Payload, &rep); err != nil {
			return err
		}
		if rep.Status != "ok" {
			return fmt.Errorf("join %s: %s %s", topic, rep.Status, rep.Response)
		}
		return nil
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
