package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// oursW3 makes cfg.n "echo" calls (a supervisor.NewCall action with typed
// payload and reply) on one session from cfg.inflight goroutines.
func oursW3(ctx context.Context, cfg config, _ *output, r *benchfmt.Result) error {
	_, ep, err := oursEndpoint(cfg)
	if err != nil {
		return err
	}
	s, err := supervisor.NewSession(ep, roomConfig(w3Topic))
	if err != nil {
		return err
	}
	rc := newReadyCounter(1)
	failures, failed := failureSink()
	s.Subscribe(rc.subscriber(failed, w3Topic))
	if err := rc.wait(ctx, failures); err != nil {
		return err
	}
	echo := supervisor.NewCall[echoPayload, echoPayload, rawReply](s, "echo", "echo")
	body := echoPayload{Body: strings.Repeat("x", cfg.size)}
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		lat        = newLatencies()
		firstErr   error
		wg         sync.WaitGroup
	)
	startMemory(r)
	m := startMeter()
	for range min(cfg.inflight, cfg.n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cfg.n) {
				t0 := time.Now()
				rep, err := echo.Call(ctx, body)
				d := time.Since(t0)
				if err == nil && len(rep.Body) != cfg.size {
					err = fmt.Errorf("echo reply with a %d-byte body", len(rep.Body))
				}
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				lat.record(d)
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	r.Count = int(done.Load())
	m.stop(r)
	finishMemory(r, firstErr == nil)
	lat.fill(r)
	return firstErr
}
