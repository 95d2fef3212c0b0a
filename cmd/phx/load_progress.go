package main

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

// progress prints a load run's progress to stderr once a second and samples
// the peak Go heap.
type progress struct {
	l       *loader
	tty     bool
	show    bool
	callsOn atomic.Int64 // UnixNano when the calls started, 0 before
	heap    atomic.Uint64
	done    chan struct{}
	ended   chan struct{}
	once    sync.Once
	sample  []metrics.Sample

	t0, last time.Time
	lastN    int64
	inCalls  bool
}

func startProgress(l *loader) *progress {
	p := &progress{
		l: l, tty: isTTY(l.stderr), show: l.o.progress,
		done: make(chan struct{}), ended: make(chan struct{}),
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}},
		t0:     time.Now(),
	}
	p.last = p.t0
	p.sampleHeap()
	go p.loop()
	return p
}

// calling switches the line from setup to calls.
func (p *progress) calling() {
	p.l.stats.interval.Reset()
	p.callsOn.Store(time.Now().UnixNano())
}

func (p *progress) loop() {
	defer close(p.ended)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.sampleHeap()
			if p.show {
				p.print()
			}
		case <-p.done:
			p.sampleHeap()
			if p.show && p.tty {
				fmt.Fprintln(p.l.stderr)
			}
			return
		}
	}
}

// stop ends the progress line; idempotent.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.done) })
	<-p.ended
}

func (p *progress) sampleHeap() {
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() == metrics.KindUint64 {
		if v := p.sample[0].Value.Uint64(); v > p.heap.Load() {
			p.heap.Store(v)
		}
	}
}

func (p *progress) peakHeap() uint64 {
	if p == nil {
		return 0
	}
	p.sampleHeap()
	return p.heap.Load()
}

func (p *progress) print() {
	s := p.l.stats
	st := p.l.sup.Stats()
	open := 0
	for _, e := range st.Endpoints {
		for _, k := range e.Sockets {
			if k.Status == supervisor.SocketOpen {
				open++
			}
		}
	}
	now := time.Now()
	var line string
	started := p.callsOn.Load()
	if started != 0 && !p.inCalls {
		p.inCalls, p.last, p.lastN = true, time.Unix(0, started), 0
	}
	if !p.inCalls {
		line = fmt.Sprintf("phx load: setup %4.1fs  sockets %d open  joined %d/%d",
			now.Sub(p.t0).Seconds(), open, s.joined.Load(), p.l.o.topics)
	} else {
		n := s.ok.Load() + s.errs.Load() + s.timeouts.Load()
		rate := float64(n-p.lastN) / now.Sub(p.last).Seconds()
		p.lastN, p.last = n, now
		iv := s.interval.SummaryAndReset()
		line = fmt.Sprintf("phx load: %4.0fs  joined %d/%d  %8.0f calls/s  p50 %-8s p99 %-8s errors %d  timeouts %d  reconnects %d",
			now.Sub(p.t0).Seconds(), s.joined.Load(), p.l.o.topics, rate, us(iv.P50), us(iv.P99),
			s.errs.Load(), s.timeouts.Load(), st.Totals().Reconnects)
	}
	if p.tty {
		fmt.Fprintf(p.l.stderr, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(p.l.stderr, line)
	}
}
