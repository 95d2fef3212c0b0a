package main

import (
	"context"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW1 joins cfg.n topics on one socket: n sessions, each with a typed
// reducer and a subscriber; done when every subscriber has seen Ready.
func oursW1(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	return oursJoinAll(ctx, cfg, r, cfg.n, w1Topic)
}

// oursJoinAll makes cfg.n sessions with a subscriber each, on one endpoint
// capped at perSocket channels a socket, topic(i) naming the i-th; it
// measures CPU and memory until every subscriber has seen Ready (W1, W4).
func oursJoinAll(ctx context.Context, cfg config, r *benchfmt.Result, perSocket int, topic func(int) string) error {
	_, ep, err := oursEndpoint(cfg, supervisor.WithMaxChannelsPerSocket(perSocket))
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
		t := topic(i)
		s, err := supervisor.NewSession(ep, roomConfig(t))
		if err != nil {
			return err
		}
		s.Subscribe(rc.subscriber(failed, t))
	}
	err = rc.wait(ctx, failures)
	r.Count = int(rc.n.Load())
	m.stop(r)
	finishMemory(r, err == nil)
	return err
}
