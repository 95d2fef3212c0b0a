package main

import (
	"slices"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// metric is one figure of a case, computed from a run.
type metric struct {
	Key   string // JSON key
	Label string // table label
	Prec  int    // decimals in the table
	value func(r *runRecord) (float64, bool)
}

const kib = 1024.0

func cpuS(r *runRecord) (float64, bool)  { return r.CPUS(), true }
func wallS(r *runRecord) (float64, bool) { return r.WallS, true }
func rate(r *runRecord) (float64, bool)  { return r.RatePerS, r.RatePerS > 0 }

func cpuPerUnitUS(r *runRecord) (float64, bool) {
	if r.Count == 0 {
		return 0, false
	}
	return r.CPUS() / float64(r.Count) * 1e6, true
}

func memPerUnitKiB(r *runRecord) (float64, bool) {
	if r.N == 0 || r.RSSSettledBytes == 0 {
		return 0, false
	}
	return float64(r.RSSSettledBytes-r.RSSBaseBytes) / float64(r.N) / kib, true
}

func goroutinesPerUnit(r *runRecord) (float64, bool) {
	if r.Goroutines < 0 || r.N == 0 {
		return 0, false // not a Go client
	}
	return float64(r.Goroutines-r.GoroutinesBase) / float64(r.N), true
}

func vmHWMMiB(r *runRecord) (float64, bool) {
	return float64(r.VmHWMBytes) / kib / kib, r.VmHWMBytes > 0
}

func serverPeakPct(r *runRecord) (float64, bool) { return r.ServerPeakUtil * 100, true }

// metricsFor lists the figures reported for a workload.
func metricsFor(workload string) []metric {
	var ms []metric
	switch workload {
	case benchfmt.W1:
		ms = []metric{
			{"client_cpu_s", "client CPU (s)", 3, cpuS},
			{"wall_s", "wall time (s)", 3, wallS},
			{"mem_per_channel_kib", "memory per joined channel (KiB)", 2, memPerUnitKiB},
		}
	case benchfmt.W2:
		ms = []metric{
			{"cpu_per_event_us", "client CPU per event (µs)", 2, cpuPerUnitUS},
			{"events_per_s", "events/s", 0, rate},
		}
	case benchfmt.W3:
		ms = []metric{
			{"cpu_per_call_us", "client CPU per call (µs)", 2, cpuPerUnitUS},
			{"calls_per_s", "calls/s", 0, rate},
			{"p50_us", "latency p50 (µs)", 0, func(r *runRecord) (float64, bool) { return r.LatP50US, r.LatP50US > 0 }},
			{"p99_us", "latency p99 (µs)", 0, func(r *runRecord) (float64, bool) { return r.LatP99US, r.LatP99US > 0 }},
		}
	case benchfmt.W4:
		ms = []metric{
			{"mem_per_socket_kib", "memory per socket (KiB)", 2, memPerUnitKiB},
			{"goroutines_per_socket", "goroutines per socket", 2, goroutinesPerUnit},
			{"cpu_per_socket_us", "client CPU per socket (µs)", 1, cpuPerUnitUS},
		}
	case benchfmt.W5:
		ms = []metric{
			{"recovery_s", "time from kill to all ready (s)", 3, wallS},
			{"recovery_cpu_s", "client CPU for the recovery (s)", 3, cpuS},
			{"peak_joins_in_flight", "peak joins in flight", 0, func(r *runRecord) (float64, bool) {
				return float64(r.PeakInFlight), r.PeakInFlight > 0
			}},
			{"server_down_s", "server down (kill to listening) (s)", 3, func(r *runRecord) (float64, bool) { return r.ServerDownS, r.ServerDownS > 0 }},
		}
	}
	return append(ms,
		metric{"vmhwm_mib", "client peak RSS, VmHWM (MiB)", 1, vmHWMMiB},
		metric{"server_cpu_s", "server CPU while the client ran (s)", 3, func(r *runRecord) (float64, bool) { return r.ServerCPUS, true }},
		metric{"server_peak_cpu_pct", "server CPU, peak 250 ms (%)", 0, serverPeakPct},
	)
}

// median of the values (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians computes each metric's median over the successful runs.
func medians(ms []metric, runs []runRecord) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		var vals []float64
		for i := range runs {
			if !runs[i].OK {
				continue
			}
			if v, ok := m.value(&runs[i]); ok {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			out[m.Key] = median(vals)
		}
	}
	return out
}
