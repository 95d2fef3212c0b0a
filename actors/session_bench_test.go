package actors

import (
	"encoding/json"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// storePort publishes into a real Store, as the actor does.
type storePort struct {
	fakePort
	store *Store
}

func (p *storePort) publish(s *Snapshot) { p.store.Publish(s) }

// BenchmarkSessionEventApply: one inbound event decoded into the user's
// type, reduced into a new value, and the new snapshot published to one
// subscriber (the work a session does per event; the mailbox hop is
// protoactor's and not included). The decode and reduce closures are what
// supervisor.On builds.
func BenchmarkSessionEventApply(b *testing.B) {
	type msg struct {
		ID   string `json:"id"`
		Body string `json:"body"`
	}
	type value struct {
		Count int
		Last  msg
	}
	cfg := SessionConfig{
		Topic:   "chat:bench",
		Initial: &value{},
		Events: map[string]EventFunc{
			"new_msg": func(v any, p []byte, _ bool) (any, error) {
				var m msg
				if err := json.Unmarshal(p, &m); err != nil {
					return nil, err
				}
				cur := v.(*value)
				next := value{Count: cur.Count + 1, Last: m}
				return &next, nil
			},
		},
	}
	link := &fakeLink{id: "sock#1", live: 1}
	port := &storePort{fakePort: fakePort{links: []*fakeLink{link}}}
	var st sessionCounters
	m := newSessionMachine(cfg, port, &st)
	port.store = NewStore(m.snap, nil)
	var delivered atomic.Int64
	port.store.Subscribe(func(s *Snapshot) { delivered.Store(int64(s.Value.(*value).Count)) })
	m.Handle(&messages.Mount{})
	j := link.last(&testing.T{})
	m.Handle(&messages.FrameIn{Gen: 1, Frame: protocol.Frame{JoinRef: j.JoinRef, Ref: j.Ref, Topic: cfg.Topic,
		Event: protocol.EventReply, Payload: []byte(`{"response":{},"status":"ok"}`)}})
	frame := &messages.FrameIn{Gen: 1, Frame: protocol.Frame{Topic: cfg.Topic, Event: "new_msg",
		Payload: []byte(`{"id":"12","body":"Hello, world","insertedAt":"2026-12-04T19:55:43.468252Z"}`)}}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m.Handle(frame)
		n++
	}
	for delivered.Load() != int64(n) { // the subscriber ends on the latest state
		runtime.Gosched()
	}
	b.ReportMetric(float64(st.eventsApplied.Load())/float64(n), "applied/op")
}
