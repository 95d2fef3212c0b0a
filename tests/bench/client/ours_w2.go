package main

import (
	"context"
	"fmt"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW2 joins one topic (a session whose reducer decodes each "flood"
// event into a floodEvent, with a subscriber) and calls "flood": the server
// broadcasts cfg.n events, then replies.
func oursW2(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	_, ep, err := oursEndpoint(cfg)
	if err != nil {
		return err
	}
	s, err := supervisor.NewSession(ep, roomConfig(w2Topic))
	if err != nil {
		return err
	}
	rc := newReadyCounter(1)
	failures, failed := failureSink()
	s.Subscribe(rc.subscriber(failed, w2Topic))
	if err := rc.wait(ctx, failures); err != nil {
		return err
	}
	flood := supervisor.NewCall[floodArgs, floodReply, rawReply](s, "flood", "flood",
		supervisor.WithCallTimeout(cfg.deadline))
	startMemory(r)
	m := startMeter()
	_, err = flood.Call(ctx, floodArgs{N: cfg.n, Size: cfg.size})
	v := s.State().Value
	if v != nil {
		r.Count = v.Events
	}
	m.stop(r)
	finishMemory(r, err == nil)
	if err != nil {
		return fmt.Errorf("flood after %d events: %w", r.Count, err)
	}
	if v != nil && v.Bytes < v.Events*cfg.size {
		r.Notes = fmt.Sprintf("events carried %d body bytes, want %d", v.Bytes, v.Events*cfg.size)
	}
	return nil
}
