package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// floorW1 joins cfg.n topics on one socket: every join written at once by
// one goroutine while this one reads the replies.
func floorW1(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	c, err := dialFloor(ctx, cfg.url)
	if err != nil {
		return err
	}
	defer c.close()
	startMemory(r)
	m := startMeter()
	werr := make(chan error, 1)
	go func() {
		for i := range cfg.n {
			ref := itoa(i + 1)
			if err := c.write(ref, ref, w1Topic(i), protocol.EventJoin, emptyObject); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	var rerr error
	for r.Count < cfg.n {
		f, err := c.read()
		if err != nil {
			rerr = fmt.Errorf("after %d joins: %w", r.Count, ctxErr(ctx, err))
			break
		}
		if f.Event != protocol.EventReply {
			continue
		}
		var rep floorReply[json.RawMessage]
		if err := json.Unmarshal(f.Payload, &rep); err != nil {
			rerr = err
			break
		}
		if rep.Status != "ok" {
			rerr = fmt.Errorf("join %s: %s %s", f.Topic, rep.Status, rep.Response)
			break
		}
		r.Count++
	}
	m.stop(r)
	finishMemory(r, rerr == nil)
	if rerr != nil {
		return rerr
	}
	return <-werr
}

func w1Topic(i int) string { return "room:w1:" + itoa(i) }

// ctxErr prefers the context's error (deadline) to the read error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("deadline: %w", ctx.Err())
	}
	return err
}
