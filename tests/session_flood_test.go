package tests

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

type floodEvent struct {
	Body string `json:"body"`
	I    int    `json:"i"`
}

type floodValue struct {
	Events, LastI int
	OutOfOrder    int
}

// spec: E1, M5 — a flood of broadcasts on loopback TCP, read faster than a
// slow reducer takes them: the read pump waits for the session (bounded
// memory) and every event is reduced, in order; the flood's reply comes
// after the last event.
func TestSessionFloodEveryEventReduced(t *testing.T) {
	const n = 20_000
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Close()
	ep, err := sup.Endpoint(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	var reduced atomic.Int64
	s, err := supervisor.NewSession(ep, supervisor.Config[floodValue]{
		Topic: "chat:flood",
		Events: supervisor.Events[floodValue]{"flood": supervisor.On(func(v *floodValue, e floodEvent) floodValue {
			if reduced.Add(1)%1000 == 0 {
				time.Sleep(time.Millisecond) // a slow reducer now and then
			}
			next := floodValue{Events: 1, LastI: e.I}
			if v != nil {
				next = floodValue{Events: v.Events + 1, LastI: e.I, OutOfOrder: v.OutOfOrder}
				if e.I != v.LastI+1 {
					next.OutOfOrder++
				}
			}
			return next
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	var states atomic.Int64
	unsub := s.Subscribe(func(supervisor.State[floodValue]) { states.Add(1) })
	defer unsub()
	deadline := time.Now().Add(30 * time.Second)
	for s.State().Status != supervisor.Ready {
		if time.Now().After(deadline) {
			t.Fatal("not joined")
		}
		time.Sleep(time.Millisecond)
	}
	type args struct {
		N    int `json:"n"`
		Size int `json:"size"`
	}
	type reply struct {
		N int `json:"n"`
	}
	flood := supervisor.NewCall[args, reply, SendError](s, "flood", "flood", supervisor.WithCallTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := flood.Call(ctx, args{N: n, Size: 100})
	if err != nil || got.N != n {
		t.Fatalf("flood: %v %v", got, err)
	}
	v := s.State().Value
	if v == nil || v.Events != n || v.LastI != n || v.OutOfOrder != 0 {
		t.Fatalf("value after the flood's reply: %+v, want %d events in order", v, n)
	}
	if st := s.Stats(); st.EventsApplied != n || st.EventsDropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}
