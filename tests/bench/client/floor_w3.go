package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// echoPayload is the payload of an "echo" call and of its ok reply.
type echoPayload struct {
	Body string `json:"body"`
}

const w3Topic = "room:w3"

// floorW3 makes cfg.n echo calls on one topic, cfg.inflight at a time: one
// goroutine writes (one write per push) while this one reads the replies.
func floorW3(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	c, err := dialFloor(ctx, cfg.url)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.joinSync(w3Topic, "1"); err != nil {
		return err
	}
	body := echoPayload{Body: strings.Repeat("x", cfg.size)}
	starts := make([]atomic.Int64, cfg.n)
	window := make(chan struct{}, cfg.inflight)
	lat := newLatencies()
	startMemory(r)
	m := startMeter()
	werr := make(chan error, 1)
	go func() {
		for i := range cfg.n {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				werr <- ctx.Err()
				return
			}
			starts[i].Store(time.Now().UnixNano())
			if err := c.write("1", strconv.Itoa(i+2), w3Topic, "echo", body); err != nil {
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
			rerr = fmt.Errorf("after %d calls: %w", r.Count, ctxErr(ctx, err))
			break
		}
		if f.Event != protocol.EventReply {
			continue
		}
		i, err := strconv.Atoi(f.Ref)
		if err != nil || i < 2 || i-2 >= cfg.n {
			continue
		}
		var rep floorReply[echoPayload]
		if err := json.Unmarshal(f.Payload, &rep); err != nil {
			rerr = err
			break
		}
		if rep.Status != "ok" || len(rep.Response.Body) != cfg.size {
			rerr = fmt.Errorf("echo reply %s with a %d-byte body", rep.Status, len(rep.Response.Body))
			break
		}
		lat.record(time.Duration(time.Now().UnixNano() - starts[i-2].Load()))
		r.Count++
		<-window
	}
	m.stop(r)
	finishMemory(r, rerr == nil)
	lat.fill(r)
	if rerr != nil {
		return rerr
	}
	return <-werr
}
