package main

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// meter measures the wall and CPU time of one phase of this process.
type meter struct {
	t0  time.Time
	ru0 syscall.Rusage
}

func startMeter() meter {
	var m meter
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &m.ru0)
	m.t0 = time.Now()
	return m
}

// stop writes the phase's wall and CPU time into r.
func (m meter) stop(r *benchfmt.Result) {
	wall := time.Since(m.t0)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	r.WallS = wall.Seconds()
	r.CPUUserS = tvSeconds(ru.Utime) - tvSeconds(m.ru0.Utime)
	r.CPUSysS = tvSeconds(ru.Stime) - tvSeconds(m.ru0.Stime)
	if r.WallS > 0 {
		r.RatePerS = float64(r.Count) / r.WallS
	}
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// settledRSS collects garbage, returns freed memory to the OS and reads the
// resident set size.
func settledRSS() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return procStatus("VmRSS")
}

// finishMemory fills the memory and goroutine figures after the phase. The
// settled RSS (a forced GC) is read only after a phase that succeeded: after
// a deadline the process may still be busy, and a forced GC then can take
// longer than the orchestrator waits.
func finishMemory(r *benchfmt.Result, settle bool) {
	if settle {
		r.RSSSettledBytes = settledRSS()
	}
	r.VmHWMBytes = procStatus("VmHWM")
	r.Goroutines = runtime.NumGoroutine()
}

// startMemory fills the baseline figures before the phase.
func startMemory(r *benchfmt.Result) {
	r.RSSBaseBytes = settledRSS()
	r.GoroutinesBase = runtime.NumGoroutine()
}

// procStatus reads a "kB" field of /proc/self/status in bytes (0 when
// unavailable, as on systems without procfs).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return parseStatusField(bufio.NewScanner(f), field)
}

func parseStatusField(sc *bufio.Scanner, field string) int64 {
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		num, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		kb, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
