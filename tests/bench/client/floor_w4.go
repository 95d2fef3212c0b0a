package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// floorW4 opens cfg.n sockets, each joining one topic, with one reader
// goroutine per socket (writes come from this goroutine), and measures
// memory and goroutines once every join is answered.
func floorW4(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	startMemory(r)
	m := startMeter()
	joined := make(chan error, cfg.n)
	conns := make([]*floorConn, 0, cfg.n)
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	for i := range cfg.n {
		c, err := dialFloor(ctx, cfg.url)
		if err != nil {
			return fmt.Errorf("socket %d: %w", i, err)
		}
		conns = append(conns, c)
		if err := c.write("1", "1", "room:w4:"+itoa(i), protocol.EventJoin, emptyObject); err != nil {
			return err
		}
		go floorW4Reader(c, joined)
	}
	var rerr error
	for r.Count < cfg.n && rerr == nil {
		select {
		case err := <-joined:
			if err != nil {
				rerr = err
				break
			}
			r.Count++
		case <-ctx.Done():
			rerr = fmt.Errorf("after %d joins: deadline: %w", r.Count, ctx.Err())
		}
	}
	m.stop(r)
	finishMemory(r, rerr == nil)
	return rerr
}

// floorW4Reader reports the join reply, then reads (and drops) until the
// connection ends.
func floorW4Reader(c *floorConn, joined chan<- error) {
	reported := false
	for {
		f, err := c.read()
		if err != nil {
			if !reported {
				joined <- err
			}
			return
		}
		if reported || f.Event != protocol.EventReply {
			continue
		}
		var rep floorReply[json.RawMessage]
		err = json.Unmarshal(f.Payload, &rep)
		if err == nil && rep.Status != "ok" {
			err = fmt.Errorf("join %s: %s", f.Topic, rep.Status)
		}
		joined <- err
		reported = true
	}
}
