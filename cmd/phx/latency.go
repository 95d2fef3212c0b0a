package main

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latency is a concurrency-safe HDR histogram of durations in microseconds,
// 1 µs to 1 h, three significant figures.
type latency struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newLatency() *latency {
	return &latency{h: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
}

// Record adds one observation.
func (l *latency) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 1 {
		us = 1
	}
	l.mu.Lock()
	_ = l.h.RecordValue(us) // values above the 1 h ceiling are dropped by the histogram; none are expected
	l.mu.Unlock()
}

// latencySummary is the JSON shape of a latency histogram (microseconds).
type latencySummary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p999"`
	Max   int64   `json:"max"`
}

// Summary reads the percentiles.
func (l *latency) Summary() latencySummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.summaryLocked()
}

// SummaryAndReset reads the percentiles and clears the histogram, at once.
func (l *latency) SummaryAndReset() latencySummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.summaryLocked()
	l.h.Reset()
	return s
}

func (l *latency) summaryLocked() latencySummary {
	if l.h.TotalCount() == 0 {
		return latencySummary{}
	}
	return latencySummary{
		Count: l.h.TotalCount(),
		Mean:  l.h.Mean(),
		P50:   l.h.ValueAtQuantile(50),
		P90:   l.h.ValueAtQuantile(90),
		P99:   l.h.ValueAtQuantile(99),
		P999:  l.h.ValueAtQuantile(99.9),
		Max:   l.h.Max(),
	}
}

// Reset clears the histogram.
func (l *latency) Reset() {
	l.mu.Lock()
	l.h.Reset()
	l.mu.Unlock()
}
