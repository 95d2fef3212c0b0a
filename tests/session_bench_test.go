package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// BenchmarkSessionCall: one call round trip through the session on
// loopback TCP: Call -> session actor (bucket processing, push) -> socket
// writer -> server echo handler -> reader -> session actor (bucket, answer)
// -> typed ok reply decoded in the caller.
func BenchmarkSessionCall(b *testing.B) {
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Close()
	ep, err := sup.Endpoint(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	room, err := supervisor.NewSession(ep, supervisor.Config[struct{}]{Topic: "room:bench"})
	if err != nil {
		b.Fatal(err)
	}
	type payload struct {
		Body string `json:"body"`
		N    int    `json:"n"`
	}
	echo := supervisor.NewCall[payload, payload, SendError](room, "echo", "echo")
	unsubscribe := room.Subscribe(nil)
	defer unsubscribe()
	waitReady(b, func() bool { return room.State().Status == supervisor.Ready })
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		got, err := echo.Call(ctx, payload{Body: "hello", N: i})
		if err != nil || got.N != i {
			b.Fatalf("call %d: %v %v", i, got, err)
		}
	}
}

func waitReady(b *testing.B, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatal("not ready in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkSessionIdleMemory reports the heap bytes one idle joined session
// costs the client when 10,000 are joined on one endpoint (100 sockets).
// The server runs in a child process, so its memory is not counted.
func BenchmarkSessionIdleMemory(b *testing.B) {
	const n = 10_000
	url, stop := startServerProcess(b)
	defer stop()

	sup := supervisor.New()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = sup.Shutdown(ctx)
	}()
	ep, err := sup.Endpoint(url)
	if err != nil {
		b.Fatal(err)
	}
	tick := supervisor.On(func(v *Counter, _ struct{}) Counter { return Counter{Ticks: v.Ticks + 1} })
	before := heapInUse()
	sessions := make([]*supervisor.Session[Counter], n)
	unsubs := make([]func(), n)
	for i := range sessions {
		s, err := supervisor.NewSession(ep, supervisor.Config[Counter]{
			Topic:  "room:" + strconv.Itoa(i),
			Value:  &Counter{},
			Events: supervisor.Events[Counter]{"tick": tick},
		})
		if err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
		unsubs[i] = s.Subscribe(nil)
	}
	waitReady(b, func() bool {
		for _, s := range sessions {
			if s.State().Status != supervisor.Ready {
				return false
			}
		}
		return true
	})
	time.Sleep(100 * time.Millisecond) // let delivery and pump goroutines settle
	after := heapInUse()
	goroutines := runtime.NumGoroutine()
	if path := os.Getenv("PHX_HEAP_PROFILE"); path != "" { // where the bytes go
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(after-before)/n, "heapB/session")
	b.ReportMetric(float64(goroutines), "goroutines")
	b.ReportMetric(0, "ns/op")
	for _, u := range unsubs {
		u()
	}
	runtime.KeepAlive(sessions)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// startServerProcess runs the demo app server in a child process (this test
// binary, TestHelperServerProcess) and returns its socket URL.
func startServerProcess(b *testing.B) (url string, stop func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServerProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), "PHX_HELPER_SERVER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop = func() {
		_ = stdin.Close() // the helper exits when its stdin closes
		_ = cmd.Wait()
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
			go func() { // drain the rest so the child never blocks on stdout
				for sc.Scan() {
				}
			}()
			return u, stop
		}
	}
	stop()
	b.Fatal("helper server did not start")
	return "", nil
}

// TestHelperServerProcess is the child process of startServerProcess; it
// does nothing in a normal test run.
func TestHelperServerProcess(t *testing.T) {
	if os.Getenv("PHX_HELPER_SERVER") != "1" {
		t.Skip("helper process for benchmarks")
	}
	opts := []phxtest.Option{phxtest.WithDemoApp(), phxtest.WithIdleTimeout(0)}
	if n, err := strconv.Atoi(os.Getenv("PHX_HELPER_MAX_CHANNELS")); err == nil {
		opts = append(opts, phxtest.WithMaxChannels(n))
	}
	srv := phxtest.NewServer(opts...)
	fmt.Println("URL " + srv.URL())
	_, _ = bufio.NewReader(os.Stdin).ReadByte() // until the parent closes stdin
	srv.Close()
}
