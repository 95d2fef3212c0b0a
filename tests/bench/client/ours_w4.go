package main

import (
	"context"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW4 opens cfg.n sockets with one topic each: one endpoint capped at
// one channel a socket, n sessions with a subscriber.
func oursW4(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	_, ep, err := oursEndpoint(cfg, supervisor.WithMaxChannelsPerSocket(1))
	if err != nil {
		return err
	}
	startMemory(r)
	m := startMeter()
	rc := newReadyCounter(cfg.n)
	failures, failed := failureSink()
	for i := range cfg.n {
		if ctx.Err() != nil {
			break // rc.wait reports the deadline with the count so far
		}
		topic := "room:w4:" + itoa(i)
		s, err := supervisor.NewSession(ep, roomConfig(topic))
		if err != nil {
			return err
		}
		s.Subscribe(rc.subscriber(failed, topic))
	}
	err = rc.wait(ctx, failures)
	r.Count = int(rc.n.Load())
	m.stop(r)
	finishMemory(r, err == nil)
	return err
}
