package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// The "ours" client: this library through its public API only. Every
// topic is a Session with a typed reducer for the "flood" event (a
// 100-byte-body event decoded into floodEvent) and a subscriber; calls are
// supervisor.NewCall actions. Library defaults are kept except where a
// workload says otherwise (channels per socket). The supervisor is not shut
// down at the end: the process exits after writing its result.

// roomValue is the value of every session: the flood events reduced so far.
type roomValue struct {
	Events int
	LastI  int
	Bytes  int
}

// onFlood is the typed reducer of the "flood" event.
func onFlood(v *roomValue, ev floodEvent) roomValue {
	if v == nil {
		return roomValue{Events: 1, LastI: ev.I, Bytes: len(ev.Body)}
	}
	return roomValue{Events: v.Events + 1, LastI: ev.I, Bytes: v.Bytes + len(ev.Body)}
}

// roomConfig is the session configuration every workload uses.
func roomConfig(topic string) supervisor.Config[roomValue] {
	return supervisor.Config[roomValue]{
		Topic:  topic,
		Events: supervisor.Events[roomValue]{"flood": supervisor.On(onFlood)},
	}
}

// oursEndpoint starts a supervisor and its endpoint for cfg.url.
func oursEndpoint(cfg config, opts ...supervisor.EndpointOption) (*supervisor.Supervisor, *supervisor.Endpoint, error) {
	sup := supervisor.New()
	ep, err := sup.Endpoint(cfg.url, append([]supervisor.EndpointOption{supervisor.WithStaticParams(socketParams())}, opts...)...)
	if err != nil {
		_ = sup.Close()
		return nil, nil, err
	}
	return sup, ep, nil
}

// readyCounter counts sessions whose subscriber has seen Ready, and closes
// all once want have.
type readyCounter struct {
	n    atomic.Int64
	want int64
	all  chan struct{}
}

func newReadyCounter(want int) *readyCounter {
	return &readyCounter{want: int64(want), all: make(chan struct{})}
}

// subscriber returns a subscriber function that counts its session once,
// the first time it sees Ready; failed reports a failed session.
func (rc *readyCounter) subscriber(failed func(topic string, err error), topic string) func(supervisor.State[roomValue]) {
	seen := false
	return func(s supervisor.State[roomValue]) {
		if seen {
			return
		}
		switch s.Status {
		case supervisor.Ready:
			seen = true
			if rc.n.Add(1) == rc.want {
				close(rc.all)
			}
		case supervisor.Failed:
			if failed != nil && s.Error != nil {
				failed(topic, s.Error)
			}
		}
	}
}

// wait blocks until every session is ready, a failure is reported or ctx ends.
func (rc *readyCounter) wait(ctx context.Context, failures <-chan error) error {
	select {
	case <-rc.all:
		return nil
	case err := <-failures:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%d of %d sessions ready: deadline: %w", rc.n.Load(), rc.want, ctx.Err())
	}
}

// failureSink keeps the first failure for readyCounter.wait.
func failureSink() (chan error, func(string, error)) {
	ch := make(chan error, 1)
	return ch, func(topic string, err error) {
		select {
		case ch <- fmt.Errorf("session %s failed: %w", topic, err):
		default:
		}
	}
}

// floodReply is the ok reply of the "flood" call.
type floodReply struct {
	N int `json:"n"`
}

// dialWatched is a net dialer whose connections a joinWatch follows.
func dialWatched(w *joinWatch) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return w.wrap(c), nil
	}
}

func init() {
	registry[benchfmt.KindOurs] = map[string]runFunc{
		benchfmt.W1: oursW1,
		benchfmt.W2: oursW2,
		benchfmt.W3: oursW3,
		benchfmt.W4: oursW4,
		benchfmt.W5: oursW5,
	}
}

// rawReply is the error reply type of calls whose errors are only reported.
type rawReply = json.RawMessage
