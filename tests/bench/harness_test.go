package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// testBins are the server and client binaries, built once for the
// package's tests (TestMain removes dir).
var testBins struct {
	once             sync.Once
	dir, srv, client string
	err              error
}

// testHarness builds the bench server and client (once) and returns a
// harness without pinning, and the client binary.
func testHarness(t *testing.T) (*harness, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the benchmark processes")
	}
	b := &testBins
	b.once.Do(func() {
		ctx := context.Background()
		root, err := moduleRoot(ctx)
		if err == nil {
			b.dir, err = os.MkdirTemp("", "phx-bench-test-")
		}
		if err == nil {
			b.srv, err = goBuild(ctx, root, b.dir, "./tests/bench/server", "bench-server")
		}
		if err == nil {
			b.client, err = goBuild(ctx, root, b.dir, "./tests/bench/client", "bench-client")
		}
		b.err = err
	})
	require.NoError(t, b.err)
	srvBin := b.srv
	h := &harness{
		server: serverSpec{name: "test", logPath: filepath.Join(t.TempDir(), "server.log"), argv: func(addr string) []string {
			return []string{srvBin, "--addr", addr}
		}},
		log:   io.Discard,
		grace: 3 * time.Second,
	}
	return h, b.client
}

// Every workload runs end to end for each Go client kind with tiny sizes:
// the server starts, the client reports a complete result, the W5 server
// is killed and restarted, and the orchestrator measures the server.
func TestRunClientWorkloads(t *testing.T) {
	h, cli := testHarness(t)
	kinds := builtKinds(context.Background(), cli)
	require.Contains(t, kinds, benchfmt.KindFloor)
	cases := []benchCase{
		{ID: "W1", Workload: benchfmt.W1, N: 50},
		{ID: "W2", Workload: benchfmt.W2, N: 500, Size: bodySize},
		{ID: "W3", Workload: benchfmt.W3, N: 200, Size: bodySize, InFlight: 8},
		{ID: "W4", Workload: benchfmt.W4, N: 5},
		{ID: "W5", Workload: benchfmt.W5, N: 40, Sockets: 4},
	}
	for _, kind := range []string{benchfmt.KindFloor, benchfmt.KindOurs} {
		if !slices.Contains(kinds, kind) {
			t.Logf("client kind %s not built: skipped", kind)
			continue
		}
		spec := clientSpec{kind: kind, argv: func(c benchCase, url string) []string {
			return append([]string{cli, "--kind=" + kind}, c.args(url)...)
		}}
		for _, c := range cases {
			c.Deadline = 20 * time.Second
			t.Run(kind+"/"+c.ID, func(t *testing.T) {
				r := h.runClient(context.Background(), c, spec, 1)
				require.True(t, r.OK, "%s: %s\n%s", r.Error, r.StderrTail, fileTail(h.server.logPath, 500))
				require.Equal(t, c.N, r.Count)
				require.Equal(t, kind, r.Client)
				require.Positive(t, r.WallS)
				require.Positive(t, r.RSSSettledBytes)
				require.Positive(t, r.VmHWMBytes)
				require.GreaterOrEqual(t, r.ServerCPUS, 0.0)
				require.GreaterOrEqual(t, r.Goroutines, 1)
				switch c.Workload {
				case benchfmt.W3:
					require.Positive(t, r.LatP50US)
					require.GreaterOrEqual(t, r.LatP99US, r.LatP50US)
				case benchfmt.W5:
					require.Positive(t, r.ServerDownS, "the server was killed and restarted")
					require.Positive(t, r.PeakInFlight)
					require.LessOrEqual(t, r.PeakInFlight, c.N)
				}
			})
		}
	}
}

// A client that hangs is killed after its deadline and the grace; one that
// exits without a result is reported with what it printed.
func TestRunClientFailuresAreReported(t *testing.T) {
	h, _ := testHarness(t)
	h.grace = 300 * time.Millisecond
	c := benchCase{ID: "W1", Workload: benchfmt.W1, N: 1, Deadline: 200 * time.Millisecond}
	sh := func(script string) clientSpec {
		return clientSpec{kind: "sh", argv: func(benchCase, string) []string { return []string{"sh", "-c", script} }}
	}

	t0 := time.Now()
	r := h.runClient(context.Background(), c, sh("sleep 30"), 1)
	require.False(t, r.OK)
	require.Contains(t, r.Error, "killed")
	require.Less(t, time.Since(t0), 15*time.Second)

	r = h.runClient(context.Background(), c, sh("echo not json; echo oops >&2; exit 3"), 1)
	require.False(t, r.OK)
	require.Contains(t, r.Error, errNoResult.Error())
	require.Contains(t, r.StderrTail, "not json")
	require.Contains(t, r.StderrTail, "oops")

	r = h.runClient(context.Background(), c, sh(`echo '{"workload":"W1","client":"sh","ok":false,"error":"boom","n":1}'`), 1)
	require.False(t, r.OK)
	require.Equal(t, "boom", r.Error)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = h.runClient(ctx, c, sh("sleep 30"), 1)
	require.False(t, r.OK)
}
