package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// floodEvent is the payload of a "flood" broadcast, decoded by every client.
type floodEvent struct {
	I    int    `json:"i"`
	Body string `json:"body"`
}

// floodArgs is the payload of the "flood" push.
type floodArgs struct {
	N    int `json:"n"`
	Size int `json:"size"`
}

// w2Topic is a chat:* topic: the demo app floods on chat:* topics.
const w2Topic = "chat:w2"

// floorW2 joins one topic, asks the server to flood cfg.n events of
// cfg.size-byte bodies, and decodes each into a floodEvent.
func floorW2(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	c, err := dialFloor(ctx, cfg.url)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.joinSync(w2Topic, "1"); err != nil {
		return err
	}
	startMemory(r)
	m := startMeter()
	if err := c.write("1", "2", w2Topic, "flood", floodArgs{N: cfg.n, Size: cfg.size}); err != nil {
		return err
	}
	short := 0
	var rerr error
	for {
		f, err := c.read()
		if err != nil {
			rerr = fmt.Errorf("after %d events: %w", r.Count, ctxErr(ctx, err))
			break
		}
		if f.Event == "flood" {
			var ev floodEvent
			if err := json.Unmarshal(f.Payload, &ev); err != nil {
				rerr = err
				break
			}
			if len(ev.Body) < cfg.size {
				short++
			}
			r.Count++
			continue
		}
		if f.Event == protocol.EventReply && f.Ref == "2" {
			var rep floorReply[json.RawMessage]
			if err := json.Unmarshal(f.Payload, &rep); err != nil {
				rerr = err
			} else if rep.Status != "ok" {
				rerr = fmt.Errorf("flood: %s %s", rep.Status, rep.Response)
			}
			break
		}
	}
	m.stop(r)
	finishMemory(r, rerr == nil)
	if short > 0 {
		r.Notes = fmt.Sprintf("%d events had a body shorter than %d bytes", short, cfg.size)
	}
	return rerr
}
