package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// loadReport is `phx load --json`'s output. Its field names are stable
// (see loadHelp); counts satisfy calls.sent = calls.ok + calls.errors +
// calls.timeouts and the sum of call_errors = calls.errors + calls.timeouts.
type loadReport struct {
	URL            string           `json:"url"`
	EmbeddedServer bool             `json:"embedded_server"`
	Interrupted    bool             `json:"interrupted"`
	Config         loadReportConfig `json:"config"`
	ElapsedS       float64          `json:"elapsed_s"`
	Sockets        reportSockets    `json:"sockets"`
	Sessions       reportSessions   `json:"sessions"`
	ConnectUS      latencySummary   `json:"connect_latency_us"`
	JoinUS         latencySummary   `json:"join_latency_us"`
	Calls          reportCalls      `json:"calls"`
	CallUS         latencySummary   `json:"call_latency_us"`
	Events         reportEvents     `json:"events"`
	CallErrors     map[string]int64 `json:"call_errors"`
	JoinErrors     map[string]int64 `json:"join_errors"`
	Reconnects     uint64           `json:"reconnects"`
	Client         reportClient     `json:"client"`
}

type loadReportConfig struct {
	Sockets       int     `json:"sockets"`
	Topics        int     `json:"topics"`
	TopicPattern  string  `json:"topic_pattern"`
	Event         string  `json:"event"`
	PayloadSize   int     `json:"payload_size"`
	Rate          float64 `json:"rate"`
	Concurrency   int     `json:"concurrency"`
	DurationS     float64 `json:"duration_s"`
	CallTimeoutS  float64 `json:"call_timeout_s"`
	SetupTimeoutS float64 `json:"setup_timeout_s"`
	MaxCalls      int64   `json:"max_calls"`
}

type reportSockets struct {
	Target          int    `json:"target"`
	Opened          int    `json:"opened"`
	Connects        uint64 `json:"connects"`
	ConnectFailures uint64 `json:"connect_failures"`
	Disconnects     uint64 `json:"disconnects"`
}

type reportSessions struct {
	Target       int     `json:"target"`
	Joined       int64   `json:"joined"`
	JoinFailures int64   `json:"join_failures"`
	SetupS       float64 `json:"setup_s"`
}

type reportCalls struct {
	Sent      int64   `json:"sent"`
	OK        int64   `json:"ok"`
	Errors    int64   `json:"errors"`
	Timeouts  int64   `json:"timeouts"`
	DurationS float64 `json:"duration_s"`
	PerSecond float64 `json:"per_second"`
}

type reportEvents struct {
	Received  int64   `json:"received"`
	PerSecond float64 `json:"per_second"`
}

type reportClient struct {
	CPUUserS        float64 `json:"cpu_user_s"`
	CPUSystemS      float64 `json:"cpu_system_s"`
	CPUS            float64 `json:"cpu_s"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	PeakHeapBytes   uint64  `json:"peak_heap_bytes"`
	IncludesServer  bool    `json:"includes_server"`
	GoroutinesAtEnd int     `json:"goroutines_at_end"`
}

// printHuman writes the report for people.
func (r *loadReport) printHuman(w io.Writer) {
	var b strings.Builder
	server := ""
	if r.EmbeddedServer {
		server = " (embedded server)"
	}
	mode := fmt.Sprintf("closed loop, %d in flight", r.Config.Concurrency)
	if r.Config.Rate > 0 {
		mode = fmt.Sprintf("%.0f calls/s, at most %d in flight", r.Config.Rate, r.Config.Concurrency)
	}
	fmt.Fprintf(&b, "phx load: %s%s, %q x %d topics (%s), %s, %d-byte payload, %v\n",
		r.URL, server, r.Config.Event, r.Config.Topics, r.Config.TopicPattern, mode, r.Config.PayloadSize,
		seconds(r.Config.DurationS))
	if r.Interrupted {
		fmt.Fprintf(&b, "  (interrupted)\n")
	}
	fmt.Fprintf(&b, "  sockets     %d open (target %d), %d connects, %d reconnects, %d connect failures\n",
		r.Sockets.Opened, r.Sockets.Target, r.Sockets.Connects, r.Reconnects, r.Sockets.ConnectFailures)
	if r.Sockets.Opened > r.Sockets.Target {
		fmt.Fprintf(&b, "              (more than asked: the server refused channels past its per-socket cap, \"too many channels joined\", and the pool moved them to new sockets)\n")
	}
	fmt.Fprintf(&b, "  sessions    %d/%d joined in %v, %d join failures\n",
		r.Sessions.Joined, r.Sessions.Target, seconds(r.Sessions.SetupS).Round(10*time.Microsecond), r.Sessions.JoinFailures)
	fmt.Fprintf(&b, "  connect     %s\n", human(r.ConnectUS))
	fmt.Fprintf(&b, "  join        %s\n", human(r.JoinUS))
	fmt.Fprintf(&b, "  calls       %d sent: %d ok, %d errors, %d timeouts in %.2fs = %.0f calls/s\n",
		r.Calls.Sent, r.Calls.OK, r.Calls.Errors, r.Calls.Timeouts, r.Calls.DurationS, r.Calls.PerSecond)
	fmt.Fprintf(&b, "  round trip  %s\n", human(r.CallUS))
	fmt.Fprintf(&b, "  events      %d received, %.0f/s\n", r.Events.Received, r.Events.PerSecond)
	fmt.Fprintf(&b, "  call errors %s\n", counts(r.CallErrors))
	fmt.Fprintf(&b, "  join errors %s\n", counts(r.JoinErrors))
	note := ""
	if r.Client.IncludesServer {
		note = " (the embedded server runs in this process: included)"
	}
	fmt.Fprintf(&b, "  client      cpu %.2fs (user %.2fs, sys %.2fs), peak rss %.1f MiB, peak heap %.1f MiB%s\n",
		r.Client.CPUS, r.Client.CPUUserS, r.Client.CPUSystemS,
		float64(r.Client.PeakRSSBytes)/(1<<20), float64(r.Client.PeakHeapBytes)/(1<<20), note)
	_, _ = io.WriteString(w, b.String())
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// human formats a latency summary (µs) as p50/p90/p99/p999/max.
func human(s latencySummary) string {
	if s.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)",
		us(s.P50), us(s.P90), us(s.P99), us(s.P999), us(s.Max), s.Count)
}

func us(v int64) string {
	return (time.Duration(v) * time.Microsecond).Round(10 * time.Microsecond).String()
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
