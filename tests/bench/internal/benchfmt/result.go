package benchfmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Client kinds.
const (
	KindOurs  = "ours"  // this library, through the supervisor API
	KindFloor = "floor" // a bare gorilla/websocket + encoding/json client
	KindJS    = "js"    // the official phoenix JavaScript client on Node
)

// Workload names.
const (
	W1 = "W1" // join many topics on one socket
	W2 = "W2" // fan-in: one topic floods events of a given size
	W3 = "W3" // echo calls with a window of calls in flight
	W4 = "W4" // many sockets, one topic each
	W5 = "W5" // reconnect: sessions over sockets, server killed and restarted
)

// PhaseReady is the phase a W5 client reports once every session is ready.
const PhaseReady = "ready"

// Result is what a client measured for one workload, in its own process.
// CPU figures and wall time cover the measured phase only (not process
// start, not connecting the baseline); memory figures are the process's.
type Result struct {
	Workload string `json:"workload"`
	Client   string `json:"client"`
	OK       bool   `json:"ok"`              // every unit completed before the deadline
	Error    string `json:"error,omitempty"` // why not, when !OK
	Version  string `json:"version,omitempty"`

	N     int `json:"n"`     // units asked: topics (W1), events (W2), calls (W3), sockets (W4), sessions (W5)
	Count int `json:"count"` // units completed

	WallS    float64 `json:"wall_s"`     // wall time of the measured phase
	CPUUserS float64 `json:"cpu_user_s"` // getrusage user time of the measured phase
	CPUSysS  float64 `json:"cpu_sys_s"`  // getrusage system time of the measured phase

	VmHWMBytes      int64 `json:"vmhwm_bytes"`       // peak resident set of the process (VmHWM)
	RSSBaseBytes    int64 `json:"rss_base_bytes"`    // settled RSS before the measured phase (after GC)
	RSSSettledBytes int64 `json:"rss_settled_bytes"` // settled RSS after it (after GC)

	GoroutinesBase int `json:"goroutines_base"` // Go clients: goroutines before the phase
	Goroutines     int `json:"goroutines"`      // Go clients: goroutines after it (-1 when not applicable)

	RatePerS float64 `json:"rate_per_s,omitempty"` // units per second of wall time
	LatP50US float64 `json:"lat_p50_us,omitempty"` // W3: call latency percentiles
	LatP99US float64 `json:"lat_p99_us,omitempty"`
	LatMaxUS float64 `json:"lat_max_us,omitempty"`

	PeakInFlight int `json:"peak_in_flight,omitempty"` // W5: most joins sent and not yet answered at once (-1: not observable)

	Notes string `json:"notes,omitempty"`
}

// CPUS is user plus system CPU seconds.
func (r *Result) CPUS() float64 { return r.CPUUserS + r.CPUSysS }

// Line is one line a client writes: either a phase or a result.
type Line struct {
	Phase  string  `json:"phase,omitempty"`
	Result *Result `json:"-"`
}

// ErrNotALine is returned by ParseLine for output that is not a JSON object.
var ErrNotALine = errors.New("benchfmt: not a JSON line")

// ParseLine reads one client output line. Lines that are not JSON objects
// (stray log output) give ErrNotALine, which callers may skip.
func ParseLine(b []byte) (Line, error) {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "{") {
		return Line{}, ErrNotALine
	}
	var probe struct {
		Phase    string `json:"phase"`
		Workload string `json:"workload"`
	}
	if err := json.Unmarshal([]byte(s), &probe); err != nil {
		return Line{}, fmt.Errorf("%w: %v", ErrNotALine, err)
	}
	if probe.Workload != "" {
		var r Result
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return Line{}, fmt.Errorf("benchfmt: bad result line: %w", err)
		}
		return Line{Result: &r}, nil
	}
	if probe.Phase == "" {
		return Line{}, fmt.Errorf("%w: neither phase nor workload", ErrNotALine)
	}
	return Line{Phase: probe.Phase}, nil
}

// KilledLine is the stdin line telling a W5 client when the server died.
func KilledLine(unixNano int64) string { return "killed " + strconv.FormatInt(unixNano, 10) + "\n" }

// ParseKilled reads a KilledLine.
func ParseKilled(s string) (int64, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "killed ")
	if !ok {
		return 0, fmt.Errorf("benchfmt: want \"killed <ns>\", got %q", s)
	}
	return strconv.ParseInt(rest, 10, 64)
}
