package main

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// latencies is an HDR histogram of call latencies in microseconds (1 µs to
// 1 min, 3 significant figures). Not safe for concurrent use.
type latencies struct{ h *hdrhistogram.Histogram }

func newLatencies() *latencies {
	return &latencies{h: hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)}
}

func (l *latencies) record(d time.Duration) {
	_ = l.h.RecordValue(max(d.Microseconds(), 1)) // above the 1 min ceiling: dropped
}

// fill writes the percentiles into r.
func (l *latencies) fill(r *benchfmt.Result) {
	if l.h.TotalCount() == 0 {
		return
	}
	r.LatP50US = float64(l.h.ValueAtQuantile(50))
	r.LatP99US = float64(l.h.ValueAtQuantile(99))
	r.LatMaxUS = float64(l.h.Max())
}
