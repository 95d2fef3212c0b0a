package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

const loadHelp = `
Opens --sockets sockets and --topics sessions (one per topic, sharded over
the sockets by the endpoint pool: ceil(topics/sockets) channels a socket),
then pushes --event with a {"body":"xxx…"} payload of --payload-size bytes
on the joined topics, round robin: closed loop with --concurrency calls in
flight, or at --rate calls/s (with at most --concurrency in flight). Calls
stop at --duration or --max-calls, whichever comes first; calls in flight
then finish (each bounded by --call-timeout). Without --url it starts the
embedded server (see phx serve) and targets it; it targets only the given URL.

Bounds: setup <= --setup-timeout, calls <= --duration + --call-timeout,
teardown <= 5 s; at most --max-calls calls.

Live progress goes to stderr once a second. The final report goes to stdout:
human text, or with --json one JSON object (also written to --out FILE):
  url, embedded_server, interrupted, elapsed_s
  config{sockets,topics,topic_pattern,event,payload_size,rate,concurrency,
         duration_s,call_timeout_s,setup_timeout_s,max_calls}
  sockets{target,opened,connects,connect_failures,disconnects}, reconnects
         (opened > target: the server refused channels past its per-socket
         cap, "too many channels joined", and the pool moved those topics to
         new sockets)
  sessions{target,joined,join_failures,setup_s}
  connect_latency_us, join_latency_us, call_latency_us:
         {count,mean,p50,p90,p99,p999,max} in microseconds (HDR histogram;
         connect: dial to open per socket; join: subscribe to first ready
         per session, socket wait included; call: round trip of ok and error
         replies)
  calls{sent,ok,errors,timeouts,duration_s,per_second}
         sent = ok + errors + timeouts; per_second = (ok + errors) / duration_s
  events{received,per_second}   events pushed by the server during the calls
  call_errors{REASON: n}   "timeout", the error reply's reason (e.g.
         "unknown_event"), "unmatched topic" (the server no longer knew the
         channel), "channel lost" (crash or dropped connection), "write queue
         full", "canceled" (interrupted), ...; they add up to errors + timeouts
  join_errors{REASON: n}   join failures: "unauthorized", "unmatched topic",
         "too many channels joined", "join timeout", ...
  client{cpu_user_s,cpu_system_s,cpu_s,peak_rss_bytes,peak_heap_bytes,
         includes_server,goroutines_at_end}: this process's CPU time and peak
         memory (with the embedded server, the server's share is included)

Exit codes: 0 report printed (also when interrupted); 4 bad usage, no
connection, or no session joined within --setup-timeout.

Examples:
  phx load                                   # 10 s against the embedded server
  phx load --url ws://127.0.0.1:4000/socket --sockets 10 --topics 1000 --rate 20000 --json
`

// loadOpts are load's flags.
type loadOpts struct {
	sockets, topics, payloadSize, concurrency int
	pattern, event, out                       string
	rate                                      float64
	duration, callTimeout, setupTimeout       time.Duration
	maxCalls                                  int64
	progress                                  bool
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("load", "[--url URL] [flags]", loadHelp)
	var cf connFlags
	cf.register(fs, "Phoenix socket URL to load (default: start the embedded server)")
	var o loadOpts
	fs.IntVar(&o.sockets, "sockets", 4, "websocket connections to open")
	fs.IntVar(&o.topics, "topics", 100, "topics to join (one session each)")
	fs.StringVar(&o.pattern, "topic-pattern", "room:{n}", "topic names; {n} is replaced by 1..--topics")
	fs.StringVar(&o.event, "event", "echo", "`event` each call pushes")
	fs.IntVar(&o.payloadSize, "payload-size", 64, "bytes of the payload's body string")
	fs.Float64Var(&o.rate, "rate", 0, "calls per second in total (0: closed loop)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "calls in flight at most (closed loop: exactly)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long calls are sent")
	fs.Int64Var(&o.maxCalls, "max-calls", 10_000_000, "calls sent at most")
	fs.DurationVar(&o.callTimeout, "call-timeout", 5*time.Second, "timeout of one call")
	fs.DurationVar(&o.setupTimeout, "setup-timeout", 10*time.Second, "bound of connecting and joining")
	fs.StringVar(&o.out, "out", "", "also write the JSON report to `FILE`")
	fs.BoolVar(&o.progress, "progress", true, "print progress to stderr once a second")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	if err := o.validate(); err != nil {
		return err
	}
	if cf.url != "" {
		if err := cf.validateURL(); err != nil {
			return err
		}
	}
	log, err := cf.logger(stderr)
	if err != nil {
		return err
	}
	l := &loader{o: o, cf: cf, stdout: stdout, stderr: stderr, log: log, start: time.Now()}
	l.cpuUser0, l.cpuSys0 = cpuTimes()
	return l.run(ctx)
}

func (o *loadOpts) validate() error {
	switch {
	case o.sockets < 1 || o.sockets > 10_000:
		return usageErr("--sockets must be within 1..10000, got %d", o.sockets)
	case o.topics < 1 || o.topics > 1_000_000:
		return usageErr("--topics must be within 1..1000000, got %d", o.topics)
	case o.topics > 1 && !strings.Contains(o.pattern, "{n}"):
		return usageErr("--topic-pattern %q has no {n}: every topic would be the same", o.pattern)
	case o.event == "":
		return usageErr("--event must not be empty")
	case o.payloadSize < 0 || o.payloadSize > 16<<20:
		return usageErr("--payload-size must be within 0..16777216, got %d", o.payloadSize)
	case o.rate < 0:
		return usageErr("--rate must not be negative, got %v", o.rate)
	case o.concurrency < 1 || o.concurrency > 100_000:
		return usageErr("--concurrency must be within 1..100000, got %d", o.concurrency)
	case o.duration <= 0 || o.duration > 24*time.Hour:
		return usageErr("--duration must be within (0, 24h], got %v", o.duration)
	case o.maxCalls < 1:
		return usageErr("--max-calls must be at least 1, got %d", o.maxCalls)
	case o.callTimeout <= 0:
		return usageErr("--call-timeout must be positive, got %v", o.callTimeout)
	case o.setupTimeout <= 0:
		return usageErr("--setup-timeout must be positive, got %v", o.setupTimeout)
	}
	o.sockets = min(o.sockets, o.topics)
	return checkEvent(o.event)
}

// topic returns the n-th topic (1-based).
func (o *loadOpts) topic(n int) string {
	return strings.ReplaceAll(o.pattern, "{n}", strconv.Itoa(n))
}

// perSocket is how many channels the pool places on one socket.
func (o *loadOpts) perSocket() int { return (o.topics + o.sockets - 1) / o.sockets }

// loader is one load run.
type loader struct {
	o              loadOpts
	cf             connFlags
	stdout, stderr io.Writer
	log            *slog.Logger
	srv            *phxtest.Server
	sup            *supervisor.Supervisor
	stats          *loadStats
	start          time.Time
	cpuUser0       time.Duration
	cpuSys0        time.Duration
	progress       *progress
}
