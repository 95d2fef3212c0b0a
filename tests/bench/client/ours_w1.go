package main

import (
	"context"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW1 joins cfg.n topics on one socket: n sessions, each with a typed
// reducer and a subscriber; done when every subscriber has seen Ready.
func oursW1(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	_, ep, err := oursEndpoint(cfg, supervisor.WithMaxChannelsPerSocket(cfg.n))
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
		topic := w1Topic(i)
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
