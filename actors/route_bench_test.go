package actors

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rvct/phoenix/protocol"
)

// countActor counts the frames it is handed.
type countActor struct{ n *atomic.Int64 }

func (a countActor) Receive(ctx actor.Context) {
	if in, ok := ctx.Message().(*inbound); ok {
		in.g.handled()
		a.n.Add(1)
	}
}

// BenchmarkSocketRoute: one decoded inbound frame routed by topic among
// `routes` attached sessions and delivered into its session's mailbox
// (handled inline, as on the read pump): the socket's routing cost per
// frame, alternating between two topics so the last-route cache does not
// hide the table. O(1): the figure with 100,000 routes stays near the one
// with 2.
func BenchmarkSocketRoute(b *testing.B) {
	for _, routes := range []int{2, 100_000} {
		b.Run("routes="+strconv.Itoa(routes), func(b *testing.B) {
			sys := NewSystem(SystemConfig{})
			defer sys.Close()
			c := newSocketCore(sys, "bench#1", EndpointConfig{})
			var n atomic.Int64
			props := actor.PropsFromProducer(func() actor.Actor { return countActor{&n} }, actor.WithMailbox(newLeanMailbox))
			gauges := make([]inGauge, 2)
			for i := range routes {
				pid := actor.NewPID("nonhost", "idle/"+strconv.Itoa(i))
				if i < 2 {
					var err error
					if pid, err = sys.sessRoot.SpawnNamed(props, "target/"+strconv.Itoa(i)); err != nil {
						b.Fatal(err)
					}
					c.attachGauged("room:"+strconv.Itoa(i), pid, &gauges[i])
					continue
				}
				c.Attach("room:"+strconv.Itoa(i), pid)
			}
			frames := [2]protocol.Frame{
				{Topic: "room:0", Event: "new_msg", Payload: []byte(`{"id":1,"body":"hello"}`)},
				{Topic: "room:1", Event: "new_msg", Payload: []byte(`{"id":1,"body":"hello"}`)},
			}
			var rc routeCache
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f := frames[i&1]
				c.route(1, &f, &rc)
				i++
			}
			for n.Load() != int64(i) {
				runtime.Gosched()
			}
		})
	}
}

// BenchmarkStorePublish: one snapshot made and published to a store with
// one subscriber (its delivery goroutine included; a slow subscriber skips
// intermediate states, SPEC M5).
func BenchmarkStorePublish(b *testing.B) {
	st := NewStore(&Snapshot{}, nil)
	var got atomic.Int64
	cancel := st.Subscribe(func(s *Snapshot) {
		if v, ok := s.Value.(int); ok {
			got.Store(int64(v))
		}
	})
	defer cancel()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		st.Publish(&Snapshot{Value: i}) // a new immutable state, as the machine's commit makes
	}
	for got.Load() != int64(i) { // the subscriber ends on the latest state
		runtime.Gosched()
	}
}
