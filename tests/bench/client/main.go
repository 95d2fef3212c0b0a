// Command client is one benchmark client process of the side-by-side
// harness (go run ./tests/bench). It runs one workload with one client kind
// ("ours": this library through the supervisor API; "floor": a bare
// gorilla/websocket + encoding/json client with no channel logic) against a
// Phoenix-protocol server, and writes its result as one JSON line on stdout
// (see package benchfmt). Run it with GOMAXPROCS=1, pinned to a CPU, as the
// orchestrator does.
//
//	client -kind floor -workload W3 -url ws://127.0.0.1:4000/socket -n 200000 -inflight 64
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// config is what every workload reads from the command line.
type config struct {
	kind     string
	workload string
	url      string
	n        int           // units: topics, events, calls, sockets, sessions
	size     int           // event and call body size in bytes
	inflight int           // W3: calls in flight
	sockets  int           // W5: sockets the sessions are spread over
	deadline time.Duration // the whole workload, connect included
}

// runFunc runs one workload and fills r (Count, timings, memory). An error
// means the workload could not finish; r keeps what was measured.
type runFunc func(ctx context.Context, cfg config, out *output, r *benchfmt.Result) error

// registry maps client kind -> workload -> implementation (ours.go adds
// "ours").
var registry = map[string]map[string]runFunc{
	benchfmt.KindFloor: {
		benchfmt.W1: floorW1,
		benchfmt.W2: floorW2,
		benchfmt.W3: floorW3,
		benchfmt.W4: floorW4,
		benchfmt.W5: floorW5,
	},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.kind, "kind", benchfmt.KindFloor, "client kind: "+strings.Join(kinds(), ", "))
	fs.StringVar(&cfg.workload, "workload", "", "workload: W1 .. W5")
	fs.StringVar(&cfg.url, "url", "ws://127.0.0.1:4000/socket", "Phoenix socket URL")
	fs.IntVar(&cfg.n, "n", 1000, "units: topics (W1), events (W2), calls (W3), sockets (W4), sessions (W5)")
	fs.IntVar(&cfg.size, "size", 100, "body size in bytes of flood events (W2) and echo calls (W3)")
	fs.IntVar(&cfg.inflight, "inflight", 64, "W3: calls in flight")
	fs.IntVar(&cfg.sockets, "sockets", 100, "W5: sockets the sessions are spread over")
	fs.DurationVar(&cfg.deadline, "deadline", time.Minute, "give up after this long")
	listKinds := fs.Bool("kinds", false, "print the client kinds built into this binary, one a line, and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *listKinds {
		fmt.Fprintln(stdout, strings.Join(kinds(), "\n"))
		return 0
	}
	impl, ok := registry[cfg.kind][cfg.workload]
	if !ok || cfg.n <= 0 || cfg.size < 0 || cfg.inflight <= 0 || cfg.sockets <= 0 || cfg.deadline <= 0 {
		fmt.Fprintf(stderr, "client: bad usage: kind %q workload %q n %d (kinds: %s; workloads W1..W5; positive sizes)\n",
			cfg.kind, cfg.workload, cfg.n, strings.Join(kinds(), ", "))
		return 2
	}
	out := &output{w: stdout, stdin: stdin}
	r := benchfmt.Result{Workload: cfg.workload, Client: cfg.kind, N: cfg.n, Goroutines: -1}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.deadline)
	err := impl(ctx, cfg, out, &r)
	cancel()
	if err == nil && r.Count < r.N {
		err = fmt.Errorf("completed %d of %d", r.Count, r.N)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
	}
	out.result(&r)
	return 0
}

func kinds() []string {
	ks := make([]string, 0, len(registry))
	for k := range registry {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// output writes JSON lines on stdout, one writer at a time, and reads the
// orchestrator's stdin lines.
type output struct {
	mu    sync.Mutex
	w     io.Writer
	stdin io.Reader
}

func (o *output) line(v any) {
	b, _ := json.Marshal(v)
	o.mu.Lock()
	defer o.mu.Unlock()
	_, _ = o.w.Write(append(b, '\n'))
}

// phase reports a progress phase (benchfmt.PhaseReady).
func (o *output) phase(p string) { o.line(map[string]string{"phase": p}) }

// result writes the final result line.
func (o *output) result(r *benchfmt.Result) { o.line(r) }

// killed is the orchestrator's "killed <ns>" stdin line, read.
type killed struct {
	at  time.Time
	err error
}

// killedLine starts reading the orchestrator's stdin and returns a channel
// that receives the "killed <ns>" line once (or the read error).
func (o *output) killedLine() <-chan killed {
	ch := make(chan killed, 1)
	go func() {
		var line []byte
		buf := make([]byte, 1)
		for {
			n, err := o.stdin.Read(buf)
			if n == 1 {
				if buf[0] == '\n' {
					ns, perr := benchfmt.ParseKilled(string(line))
					ch <- killed{time.Unix(0, ns), perr}
					return
				}
				line = append(line, buf[0])
			}
			if err != nil {
				ch <- killed{err: fmt.Errorf("stdin: %w", err)}
				return
			}
		}
	}()
	return ch
}
