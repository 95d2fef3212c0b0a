package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// joinEvt says that a topic's join succeeded on a socket's gen-th connection.
type joinEvt struct{ topic, gen int }

// inflight counts joins sent and not yet answered, and the peak.
type inflight struct{ now, peak atomic.Int64 }

func (f *inflight) add(d int) {
	v := f.now.Add(int64(d))
	for {
		p := f.peak.Load()
		if v <= p || f.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// resetPeak starts a new peak measurement from the current count.
func (f *inflight) resetPeak() { f.peak.Store(f.now.Load()) }

// floorW5 spreads cfg.n topics over cfg.sockets sockets. Each socket
// reconnects with the official client's backoff and, on every connect,
// writes all its joins at once (no pacing: no channel logic). Once all are
// joined it reports "ready", the orchestrator kills and restarts the
// server, and it measures the time from the kill until every topic is
// joined again.
func floorW5(ctx context.Context, cfg config, out *output, r *benchfmt.Result) error {
	events := make(chan joinEvt, 1024)
	var fl inflight
	sockets := min(cfg.sockets, cfg.n)
	for s := range sockets {
		var topics []int
		for t := s; t < cfg.n; t += sockets {
			topics = append(topics, t)
		}
		go floorW5Socket(ctx, cfg.url, topics, &fl, events)
	}
	joined := make([]bool, cfg.n)
	count := 0
	for count < cfg.n {
		select {
		case e := <-events:
			if !joined[e.topic] {
				joined[e.topic] = true
				count++
			}
		case <-ctx.Done():
			return fmt.Errorf("initial joins: %d of %d: deadline: %w", count, cfg.n, ctx.Err())
		}
	}
	startMemory(r)
	fl.resetPeak()
	m := startMeter()
	kc := out.killedLine()
	out.phase(benchfmt.PhaseReady)
	rejoined := make([]bool, cfg.n)
	var t0 time.Time
	var rerr error
	for (r.Count < cfg.n || t0.IsZero()) && rerr == nil {
		select {
		case e := <-events:
			if e.gen >= 2 && !rejoined[e.topic] {
				rejoined[e.topic] = true
				r.Count++
			}
		case k := <-kc:
			if k.err != nil {
				rerr = k.err
				break
			}
			t0 = k.at
		case <-ctx.Done():
			rerr = fmt.Errorf("rejoined %d of %d: deadline: %w", r.Count, cfg.n, ctx.Err())
		}
	}
	m.stop(r)
	if !t0.IsZero() {
		r.WallS = time.Since(t0).Seconds()
		if r.WallS > 0 {
			r.RatePerS = float64(r.Count) / r.WallS
		}
	}
	finishMemory(r, rerr == nil)
	r.PeakInFlight = int(fl.peak.Load())
	return rerr
}

// floorW5Socket keeps one socket connected and its topics joined.
func floorW5Socket(ctx context.Context, url string, topics []int, fl *inflight, events chan<- joinEvt) {
	backoff := protocol.ReconnectBackoff()
	tries, gen, ref := 0, 0, 0
	for ctx.Err() == nil {
		if tries > 0 {
			t := time.NewTimer(backoff.Delay(tries))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		c, err := dialFloor(ctx, url)
		if err != nil {
			tries++
			continue
		}
		tries, gen = 0, gen+1
		pending := make(map[string]int, len(topics))
		refs := make([]string, len(topics))
		for i, t := range topics {
			ref++
			refs[i] = itoa(ref)
			pending[refs[i]] = t
		}
		fl.add(len(topics))
		go func() {
			for i, t := range topics {
				if c.write(refs[i], refs[i], w5Topic(t), protocol.EventJoin, emptyObject) != nil {
					return
				}
			}
		}()
		floorW5Read(c, gen, pending, fl, events)
		fl.add(-len(pending)) // the connection is gone: its unanswered joins are no longer in flight
		c.close()
		tries = 1
	}
}

// floorW5Read reads one connection until it fails, reporting join replies.
func floorW5Read(c *floorConn, gen int, pending map[string]int, fl *inflight, events chan<- joinEvt) {
	for {
		f, err := c.read()
		if err != nil {
			return
		}
		t, ok := pending[f.Ref]
		if !ok || f.Event != protocol.EventReply {
			continue
		}
		delete(pending, f.Ref)
		fl.add(-1)
		var rep floorReply[json.RawMessage]
		if json.Unmarshal(f.Payload, &rep) == nil && rep.Status == "ok" {
			events <- joinEvt{topic: t, gen: gen}
		}
	}
}

func w5Topic(i int) string { return "room:w5:" + itoa(i) }
