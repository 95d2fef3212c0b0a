package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// benchCase is one row group of the report: a workload with its sizes.
type benchCase struct {
	ID       string        `json:"id"`       // e.g. "W1-10k"
	Workload string        `json:"workload"` // W1 .. W5
	Title    string        `json:"title"`
	N        int           `json:"n"`
	Size     int           `json:"size,omitempty"`
	InFlight int           `json:"inflight,omitempty"`
	Sockets  int           `json:"sockets,omitempty"`
	Deadline time.Duration `json:"deadline_ns"` // the client gives up after this
}

// args are the command-line arguments every client (Go or JS) takes.
func (c benchCase) args(url string) []string {
	return []string{
		"--workload=" + c.Workload,
		"--url=" + url,
		fmt.Sprintf("--n=%d", c.N),
		fmt.Sprintf("--size=%d", max(c.Size, 0)),
		fmt.Sprintf("--inflight=%d", max(c.InFlight, 1)),
		fmt.Sprintf("--sockets=%d", max(c.Sockets, 1)),
		"--deadline=" + c.Deadline.String(),
	}
}

// bodySize is the body of the flood events and echo calls (the issue's
// 100-byte bodies).
const bodySize = 100

// plan returns the cases of a run: the sizes, or a smaller set for
// --quick that finishes in about a minute.
func plan(quick bool) []benchCase {
	if quick {
		return []benchCase{
			{ID: "W1-2k", Workload: benchfmt.W1, Title: "join 2,000 topics on one socket", N: 2_000, Deadline: 20 * time.Second},
			{ID: "W1-10k", Workload: benchfmt.W1, Title: "join 10,000 topics on one socket", N: 10_000, Deadline: 20 * time.Second},
			{ID: "W2", Workload: benchfmt.W2, Title: "fan-in 100,000 events of 100-byte bodies", N: 100_000, Size: bodySize, Deadline: 20 * time.Second},
			{ID: "W3", Workload: benchfmt.W3, Title: "20,000 echo calls, 64 in flight", N: 20_000, Size: bodySize, InFlight: 64, Deadline: 20 * time.Second},
			{ID: "W4", Workload: benchfmt.W4, Title: "200 sockets, one topic each", N: 200, Deadline: 20 * time.Second},
			{ID: "W5", Workload: benchfmt.W5, Title: "reconnect 1,000 sessions over 10 sockets", N: 1_000, Sockets: 10, Deadline: 30 * time.Second},
		}
	}
	return []benchCase{
		{ID: "W1-10k", Workload: benchfmt.W1, Title: "join 10,000 topics on one socket", N: 10_000, Deadline: 40 * time.Second},
		{ID: "W1-100k", Workload: benchfmt.W1, Title: "join 100,000 topics on one socket", N: 100_000, Deadline: 30 * time.Second},
		{ID: "W2", Workload: benchfmt.W2, Title: "fan-in 1,000,000 events of 100-byte bodies", N: 1_000_000, Size: bodySize, Deadline: 40 * time.Second},
		{ID: "W3", Workload: benchfmt.W3, Title: "200,000 echo calls, 64 in flight", N: 200_000, Size: bodySize, InFlight: 64, Deadline: 40 * time.Second},
		{ID: "W4", Workload: benchfmt.W4, Title: "2,000 sockets, one topic each", N: 2_000, Deadline: 40 * time.Second},
		{ID: "W5", Workload: benchfmt.W5, Title: "reconnect 10,000 sessions over 100 sockets", N: 10_000, Sockets: 100, Deadline: 60 * time.Second},
	}
}

// filterCases keeps the cases whose workload is in only (all when empty).
func filterCases(cases []benchCase, only []string) ([]benchCase, error) {
	if len(only) == 0 {
		return cases, nil
	}
	known := []string{benchfmt.W1, benchfmt.W2, benchfmt.W3, benchfmt.W4, benchfmt.W5}
	for _, w := range only {
		if !slices.Contains(known, w) {
			return nil, fmt.Errorf("unknown workload %q (want %s)", w, strings.Join(known, ","))
		}
	}
	var out []benchCase
	for _, c := range cases {
		if slices.Contains(only, c.Workload) {
			out = append(out, c)
		}
	}
	return out, nil
}

// splitList splits a comma-separated flag value, dropping empty items and
// upper- or lower-casing as asked.
func splitList(s string, upper bool) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if upper {
			f = strings.ToUpper(f)
		} else {
			f = strings.ToLower(f)
		}
		out = append(out, f)
	}
	return out
}
