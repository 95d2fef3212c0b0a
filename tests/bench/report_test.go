package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses; utime=250, stime=50 ticks.
	stat := "4242 (odd) name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 200"
	got, err := parseStatCPU(stat)
	require.NoError(t, err)
	require.InDelta(t, 3.0, got, 1e-9)
	_, err = parseStatCPU("4242 (x) S 1 2")
	require.Error(t, err)
	_, err = parseStatCPU("no command")
	require.Error(t, err)
}

func TestMedianAndFormat(t *testing.T) {
	require.Equal(t, 0.0, median(nil))
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	require.Equal(t, "1,234,567.89", formatNum(1234567.891, 2))
	require.Equal(t, "-1,000", formatNum(-1000, 0))
	require.Equal(t, "999", formatNum(999.4, 0))
}

func TestFilterCasesAndOptions(t *testing.T) {
	cs, err := filterCases(plan(false), []string{"W1", "W5"})
	require.NoError(t, err)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	require.Equal(t, []string{"W1-10k", "W1-100k", "W5"}, ids)
	_, err = filterCases(plan(true), []string{"W9"})
	require.ErrorContains(t, err, "W9")

	o, err := parseOptions([]string{"--quick", "--only", "w2, w3", "--clients", "floor,JS"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{"W2", "W3"}, o.only)
	require.Equal(t, []string{"floor", "js"}, o.clients)
	require.Equal(t, 1, o.runs)
	require.Equal(t, 2*time.Minute, o.budget)
	o, err = parseOptions(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 3, o.runs)
	for _, bad := range [][]string{{"--clients", "rust"}, {"--clients", ","}, {"--runs", "-1"}, {"--server", "nginx"}, {"extra"}} {
		_, err := parseOptions(bad, io.Discard)
		require.Error(t, err, "%v", bad)
	}
}

// Every case of both plans has the fields its workload needs, and a quick
// run's client deadlines add up to a bounded run.
func TestPlansAreBounded(t *testing.T) {
	for _, quick := range []bool{true, false} {
		var total time.Duration
		for _, c := range plan(quick) {
			require.Positive(t, c.N, c.ID)
			require.Positive(t, c.Deadline, c.ID)
			total += c.Deadline
			switch c.Workload {
			case benchfmt.W2:
				require.Equal(t, bodySize, c.Size)
			case benchfmt.W3:
				require.Equal(t, 64, c.InFlight)
			case benchfmt.W5:
				require.Positive(t, c.Sockets)
			}
			args := strings.Join(c.args("ws://h/socket"), " ")
			require.Contains(t, args, "--workload="+c.Workload)
			require.Contains(t, args, "--deadline="+c.Deadline.String())
		}
		if quick {
			require.LessOrEqual(t, total, 3*time.Minute)
		}
	}
}

func rec(kind string, ok bool, cpu float64, count int) runRecord {
	r := runRecord{}
	r.Workload, r.Client, r.OK, r.N, r.Count = benchfmt.W3, kind, ok, count, count
	r.CPUUserS = cpu
	r.Goroutines = -1
	return r
}

// Medians come from successful runs only; ratios are ours over the others;
// a client that never succeeded shows FAIL with its count.
func TestCaseReportMediansRatiosAndTable(t *testing.T) {
	c := caseReport{
		benchCase: benchCase{ID: "W3", Workload: benchfmt.W3, Title: "calls"},
		Results: map[string]*clientReport{
			"ours":  {Runs: []runRecord{rec("ours", true, 1, 100), rec("ours", true, 3, 100), rec("ours", false, 100, 100)}},
			"floor": {Runs: []runRecord{rec("floor", true, 1, 100)}},
			"js":    {Runs: []runRecord{rec("js", false, 1, 7)}},
		},
	}
	c.Results["js"].Runs[0].N = 100
	c.finish()
	require.InDelta(t, 20000.0, c.Results["ours"].Median["cpu_per_call_us"], 1e-6) // median of 1 s and 3 s over 100 calls
	require.InDelta(t, 2.0, c.Ratios["ours/floor"]["cpu_per_call_us"], 1e-9)
	require.Empty(t, c.Ratios["ours/js"])
	require.False(t, c.Results["js"].OK)

	r := &report{Mode: "quick", Clients: map[string]string{"ours": "lib"}, Skipped: []string{"js: no node"}, Cases: []caseReport{c}}
	var b bytes.Buffer
	r.printTable(&b)
	out := b.String()
	require.Contains(t, out, "FAIL 7/100")
	require.Contains(t, out, "2.00x")
	require.Contains(t, out, "skipped: js: no node")
	require.Len(t, r.failures(), 2)
}
