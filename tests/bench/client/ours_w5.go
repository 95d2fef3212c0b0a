package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW5 spreads cfg.n sessions with subscribers over cfg.sockets sockets
// (channels a socket = n / sockets), reports "ready" once all are ready,
// and after the orchestrator kills and restarts the server measures the
// time until every subscriber has seen its session leave Ready and come
// back. Joins in flight are counted on the wire (joinWatch): library
// defaults pace them (SPEC L5).
func oursW5(ctx context.Context, cfg config, out *output, r *benchfmt.Result) error {
	sockets := min(cfg.sockets, cfg.n)
	perSocket := (cfg.n + sockets - 1) / sockets
	watch := &joinWatch{}
	_, ep, err := oursEndpoint(cfg,
		supervisor.WithMaxChannelsPerSocket(perSocket),
		supervisor.WithNetDialContext(dialWatched(watch)))
	if err != nil {
		return err
	}
	rc := newReadyCounter(cfg.n)
	failures, failed := failureSink()
	var armed atomic.Bool
	var back atomic.Int64
	recovered := make(chan struct{})
	for i := range cfg.n {
		if ctx.Err() != nil {
			break // rc.wait reports the deadline with the count so far
		}
		topic := w5Topic(i)
		s, err := supervisor.NewSession(ep, roomConfig(topic))
		if err != nil {
			return err
		}
		first := rc.subscriber(failed, topic)
		dropped, counted := false, false
		s.Subscribe(func(st supervisor.State[roomValue]) {
			first(st)
			if !armed.Load() || counted {
				return
			}
			if st.Status != supervisor.Ready {
				dropped = true
			} else if dropped {
				counted = true
				if back.Add(1) == int64(cfg.n) {
					close(recovered)
				}
			}
		})
	}
	if err := rc.wait(ctx, failures); err != nil {
		return fmt.Errorf("initial joins: %w", err)
	}
	startMemory(r)
	watch.fl.resetPeak()
	m := startMeter()
	armed.Store(true)
	kc := out.killedLine()
	out.phase(benchfmt.PhaseReady)
	var t0 time.Time
	var rerr error
	select {
	case k := <-kc:
		t0, rerr = k.at, k.err
	case <-ctx.Done():
		rerr = fmt.Errorf("waiting for the kill: %w", ctx.Err())
	}
	if rerr == nil {
		select {
		case <-recovered:
		case <-ctx.Done():
			rerr = fmt.Errorf("%d of %d sessions ready again: deadline: %w", back.Load(), cfg.n, ctx.Err())
		}
	}
	r.Count = int(back.Load())
	m.stop(r)
	if !t0.IsZero() {
		r.WallS = time.Since(t0).Seconds()
		if r.WallS > 0 {
			r.RatePerS = float64(r.Count) / r.WallS
		}
	}
	finishMemory(r, rerr == nil)
	r.PeakInFlight = int(watch.fl.peak.Load())
	return rerr
}
