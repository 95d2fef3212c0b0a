package tests

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

// BenchmarkSocketIdleMemory reports what one idle connected socket (one
// joined topic) costs the client: heap bytes, goroutine stack bytes and
// goroutines, with 1,000 sockets open (W4's shape). The server runs in a
// child process.
func BenchmarkSocketIdleMemory(b *testing.B) {
	const n = 1000
	url, stop := startServerProcess(b)
	defer stop()

	sup := supervisor.New()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = sup.Shutdown(ctx)
	}()
	ep, err := sup.Endpoint(url, supervisor.WithMaxChannelsPerSocket(1))
	if err != nil {
		b.Fatal(err)
	}
	heap0, stack0 := memInUse()
	g0 := runtime.NumGoroutine()
	sessions := make([]*supervisor.Session[Counter], n)
	for i := range sessions {
		s, err := supervisor.NewSession(ep, supervisor.Config[Counter]{Topic: "room:" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
		s.Subscribe(nil)
	}
	waitReady(b, func() bool {
		for _, s := range sessions {
			if s.State().Status != supervisor.Ready {
				return false
			}
		}
		return true
	})
	time.Sleep(100 * time.Millisecond) // let delivery goroutines end
	heap1, stack1 := memInUse()
	goroutines := runtime.NumGoroutine() - g0
	if path := os.Getenv("PHX_HEAP_PROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(heap1-heap0)/n, "heapB/socket")
	b.ReportMetric(float64(stack1-stack0)/n, "stackB/socket")
	b.ReportMetric(float64(goroutines)/n, "goroutines/socket")
	b.ReportMetric(0, "ns/op")
	runtime.KeepAlive(sessions)
}

// memInUse is the heap in use (live objects after two collections) and the
// goroutine stacks in use.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}
