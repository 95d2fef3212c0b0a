package tests

import (
	"context"
	"os"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

type benchFloodEvent struct {
	Body string `json:"body"`
	I    int    `json:"i"`
}

type benchFloodValue struct{ Events, LastI, Bytes int }

type benchFloodArgs struct {
	N    int `json:"n"`
	Size int `json:"size"`
}

type benchFloodReply struct {
	N int `json:"n"`
}

// BenchmarkSessionFanIn is W2 through the public API, per event: a
// 100-byte-body broadcast read, decoded, routed to its session among
// `others` idle joined sessions on the same socket, decoded into the
// user's struct, reduced, and the snapshot published to one subscriber.
// The server runs in a child process, so cpu-ns/event is the client's
// alone; goroutines/event counts the goroutines the client started.
// The figure with 10,000 others should stay within 10% of the one with
// none (O(1) routing).
func BenchmarkSessionFanIn(b *testing.B) {
	for _, others := range []int{0, 10_000} {
		b.Run("others="+strconv.Itoa(others), func(b *testing.B) { benchFanIn(b, others) })
	}
}

func benchFanIn(b *testing.B, others int) {
	b.Setenv("PHX_HELPER_MAX_CHANNELS", "1000000")
	url, stop := startServerProcess(b)
	defer stop()
	_ = os.Unsetenv("PHX_HELPER_MAX_CHANNELS")
	sup := supervisor.New()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = sup.Shutdown(ctx)
	}()
	ep, err := sup.Endpoint(url, supervisor.WithMaxChannelsPerSocket(others+1))
	if err != nil {
		b.Fatal(err)
	}
	idle := make([]*supervisor.Session[Counter], others)
	for i := range idle {
		s, err := supervisor.NewSession(ep, supervisor.Config[Counter]{Topic: "room:idle:" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		idle[i] = s
		s.Subscribe(nil)
	}
	s, err := supervisor.NewSession(ep, supervisor.Config[benchFloodValue]{
		Topic: "chat:fanin",
		Events: supervisor.Events[benchFloodValue]{"flood": supervisor.On(func(v *benchFloodValue, e benchFloodEvent) benchFloodValue {
			if v == nil {
				return benchFloodValue{Events: 1, LastI: e.I, Bytes: len(e.Body)}
			}
			return benchFloodValue{Events: v.Events + 1, LastI: e.I, Bytes: v.Bytes + len(e.Body)}
		})},
	})
	if err != nil {
		b.Fatal(err)
	}
	var last benchFloodValue
	s.Subscribe(func(st supervisor.State[benchFloodValue]) {
		if st.Value != nil {
			last = *st.Value
		}
	})
	waitReady(b, func() bool {
		for _, x := range idle {
			if x.State().Status != supervisor.Ready {
				return false
			}
		}
		return s.State().Status == supervisor.Ready
	})
	flood := supervisor.NewCall[benchFloodArgs, benchFloodReply, SendError](s, "flood", "flood",
		supervisor.WithCallTimeout(10*time.Minute))
	ctx := context.Background()
	if _, err := flood.Call(ctx, benchFloodArgs{N: 1000, Size: 100}); err != nil { // warm up
		b.Fatal(err)
	}
	before := s.State().Value.Events
	b.ReportAllocs()
	b.ResetTimer()
	g0, cpu0 := goroutinesCreated(), processCPU()
	if _, err := flood.Call(ctx, benchFloodArgs{N: b.N, Size: 100}); err != nil {
		b.Fatal(err)
	}
	cpu, g := processCPU()-cpu0, goroutinesCreated()-g0
	b.StopTimer()
	if got := s.State().Value.Events - before; got != b.N {
		b.Fatalf("%d events reduced, want %d", got, b.N)
	}
	_ = last
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(g)/float64(b.N), "goroutines/event")
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goroutinesCreated counts the goroutines this process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
