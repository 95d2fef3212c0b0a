// Command bench is the side-by-side benchmark harness of issue 6: it runs
// the workloads W1-W5 against a Phoenix-protocol server in its own process
// for this library ("ours"), a bare gorilla/websocket client ("floor") and
// the official JavaScript client ("js", skipped when node or npm is
// missing), each client in its own pinned process, and prints a table of
// absolute figures and ratios and writes a JSON report.
//
//	go run ./tests/bench                 # the full run (issue sizes, 3 runs, a few minutes)
//	go run ./tests/bench --quick         # a one-minute smoke run (CI)
//	go run ./tests/bench --only W1,W3 --clients ours,floor --out /tmp/b.json
//
// See tests/bench/README.md for the workloads and the JSON fields.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	quick   bool
	out     string
	only    []string
	clients []string
	runs    int
	server  string
	noPin   bool
	budget  time.Duration
	freshJS bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var only, clients string
	fs.BoolVar(&o.quick, "quick", false, "smoke run: small sizes, one run each, about a minute")
	fs.StringVar(&o.out, "out", "", "JSON report path (default tests/bench/out/bench-<mode>.json under the module root)")
	fs.StringVar(&only, "only", "", "workloads to run, e.g. W1,W3 (default all)")
	fs.StringVar(&clients, "clients", "ours,floor,js", "clients to run: ours, floor, js")
	fs.IntVar(&o.runs, "runs", 0, "runs per case; figures are medians (default 3, 1 with --quick)")
	fs.StringVar(&o.server, "server", "auto", "server: bench (go run ./tests/bench/server), phx (phx serve) or auto")
	fs.BoolVar(&o.noPin, "no-pin", false, "do not pin the server and clients to CPUs")
	fs.DurationVar(&o.budget, "budget", 0, "stop starting runs after this long (default 7m, 2m with --quick)")
	fs.BoolVar(&o.freshJS, "fresh-js", false, "reinstall the npm packages of the JS client")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.only = splitList(only, true)
	o.clients = splitList(clients, false)
	for _, c := range o.clients {
		if !slices.Contains(tableClients, c) {
			return o, fmt.Errorf("unknown client %q (want ours, floor, js)", c)
		}
	}
	if len(o.clients) == 0 {
		return o, errors.New("no client selected")
	}
	if o.runs == 0 {
		o.runs = 3
		if o.quick {
			o.runs = 1
		}
	}
	if o.runs < 0 || o.runs > 20 {
		return o, fmt.Errorf("--runs %d: want 1..20", o.runs)
	}
	if o.budget == 0 {
		o.budget = 7 * time.Minute
		if o.quick {
			o.budget = 2 * time.Minute
		}
	}
	if !slices.Contains([]string{"auto", "bench", "phx"}, o.server) {
		return o, fmt.Errorf("--server %q: want auto, bench or phx", o.server)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	cases, err := filterCases(plan(o.quick), o.only)
	if err != nil {
		return err
	}
	started := time.Now()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	raiseFileLimit()
	tmp, err := os.MkdirTemp("", "phx-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := &report{Started: started, Mode: "full", Clients: map[string]string{}}
	if o.quick {
		rep.Mode = "quick"
	}
	pin, pinNote := detectPinning(o.noPin)
	rep.Machine = machineInfo{CPUs: runtime.NumCPU(), Pinning: pinNote, GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}

	fmt.Fprintln(stderr, "bench: building the server and clients ...")
	srv, err := buildServer(ctx, root, tmp, o.server)
	if err != nil {
		return err
	}
	srv.pin, srv.logPath = pin, filepath.Join(tmp, "server.log")
	rep.Server = srv.name
	specs, skipped, err := clientSpecs(ctx, root, tmp, o, stderr)
	if err != nil {
		return err
	}
	rep.Skipped = skipped
	for _, s := range specs {
		rep.Clients[s.kind] = s.version
	}
	h := &harness{server: srv, pin: pin, log: stderr}
	rep.Cases = h.runAll(ctx, cases, specs, skipped, o, started)
	rep.DurationS = time.Since(started).Seconds()
	rep.printTable(stdout)
	if f := rep.failures(); len(f) > 0 {
		fmt.Fprintln(stdout, "\nfailed runs:")
		for _, s := range f {
			fmt.Fprintln(stdout, "  "+s)
		}
	}
	out := o.out
	if out == "" {
		out = filepath.Join(root, "tests", "bench", "out", "bench-"+rep.Mode+".json")
	}
	if err := rep.writeJSON(out); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(stdout, "\nJSON report: %s (%.0f s)\n", out, rep.DurationS)
	return ctx.Err()
}

// maxChannels is the server's channel cap for the run: W1 joins 100,000
// topics on one socket.
const maxChannels = 1_000_000

// buildServer builds the server binary the run uses: `phx serve` when it
// can serve the workloads (it takes --addr and --max-channels), else
// tests/bench/server (the same tests/phxtest demo app).
func buildServer(ctx context.Context, root, tmp, which string) (serverSpec, error) {
	if which == "phx" || which == "auto" {
		bin, err := goBuild(ctx, root, tmp, "./cmd/phx", "phx")
		if err == nil && !phxServes(ctx, bin) {
			err = errors.New("`phx serve -h` lists no --addr and --max-channels")
		}
		if err == nil {
			return serverSpec{name: "phx serve (cmd/phx)", argv: func(addr string) []string {
				return []string{bin, "serve", "--addr", addr, fmt.Sprintf("--max-channels=%d", maxChannels)}
			}}, nil
		}
		if which == "phx" {
			return serverSpec{}, fmt.Errorf("--server phx: %w", err)
		}
	}
	bin, err := goBuild(ctx, root, tmp, "./tests/bench/server", "bench-server")
	if err != nil {
		return serverSpec{}, err
	}
	return serverSpec{name: "tests/bench/server (tests/phxtest demo app)", argv: func(addr string) []string {
		return []string{bin, "--addr", addr, fmt.Sprintf("--max-channels=%d", maxChannels)}
	}}, nil
}

// phxServes reports whether the phx binary has a serve command that takes
// the flags the harness passes.
func phxServes(ctx context.Context, bin string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := execCommand(ctx, bin, "serve", "-h")
	out, _ := cmd.CombinedOutput()
	return strings.Contains(string(out), "-addr") && strings.Contains(string(out), "-max-channels")
}

// clientSpecs builds the Go client and prepares the JS client. A client that
// cannot run is skipped with a message, not an error.
func clientSpecs(ctx context.Context, root, tmp string, o options, stderr io.Writer) ([]clientSpec, []string, error) {
	var specs []clientSpec
	var skipped []string
	want := func(k string) bool { return slices.Contains(o.clients, k) }
	if want(benchfmt.KindOurs) || want(benchfmt.KindFloor) {
		bin, err := goBuild(ctx, root, tmp, "./tests/bench/client", "bench-client")
		if err != nil {
			return nil, nil, err
		}
		built := builtKinds(ctx, bin)
		for _, k := range []string{benchfmt.KindOurs, benchfmt.KindFloor} {
			if !want(k) {
				continue
			}
			if !slices.Contains(built, k) {
				skipped = append(skipped, fmt.Sprintf("%s: not built into tests/bench/client yet", k))
				continue
			}
			kind := k
			specs = append(specs, clientSpec{kind: kind, version: goClientVersion(kind), argv: func(c benchCase, url string) []string {
				return append([]string{bin, "--kind=" + kind}, c.args(url)...)
			}})
		}
	}
	if want(benchfmt.KindJS) {
		fmt.Fprintln(stderr, "bench: preparing the official JS client (npm install phoenix ws) ...")
		js, why := setupJS(ctx, root, o.freshJS)
		if js == nil {
			fmt.Fprintln(stderr, "bench: "+why)
			skipped = append(skipped, "js: "+why)
		} else {
			specs = append(specs, *js)
		}
	}
	return specs, skipped, nil
}

func goClientVersion(kind string) string {
	if kind == benchfmt.KindFloor {
		return "gorilla/websocket + encoding/json, no channel logic, GOMAXPROCS=1"
	}
	return "this library (supervisor API: sessions, typed reducers, subscribers, calls), GOMAXPROCS=1"
}

// builtKinds asks the client binary which kinds it has.
func builtKinds(ctx context.Context, bin string) []string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := execCommand(ctx, bin, "-kinds").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

// runAll runs every case for every client, runs times, interleaving the
// clients, within the budget.
func (h *harness) runAll(ctx context.Context, cases []benchCase, specs []clientSpec, skipped []string, o options, started time.Time) []caseReport {
	reports := make([]caseReport, len(cases))
	for i, c := range cases {
		reports[i] = caseReport{benchCase: c, Results: map[string]*clientReport{}}
		for _, s := range specs {
			reports[i].Results[s.kind] = &clientReport{}
		}
		for _, sk := range skipped {
			kind, why, _ := strings.Cut(sk, ": ")
			reports[i].Results[kind] = &clientReport{Skipped: why}
		}
	}
	failed := map[string]bool{} // case/client that failed: not run again
	for run := 1; run <= o.runs; run++ {
		for i, c := range cases {
			for _, s := range specs {
				key := c.ID + "/" + s.kind
				cr := reports[i].Results[s.kind]
				if ctx.Err() != nil {
					return finishAll(reports)
				}
				if failed[key] {
					continue
				}
				if time.Since(started) > o.budget {
					if cr.Skipped == "" && len(cr.Runs) == 0 {
						cr.Skipped = "time budget spent"
					}
					continue
				}
				rec := h.runClient(ctx, c, s, run)
				cr.Runs = append(cr.Runs, rec)
				if !rec.OK {
					failed[key] = true
				}
				fmt.Fprintln(h.log, progressLine(c, s.kind, run, o.runs, &rec))
			}
		}
	}
	return finishAll(reports)
}

func finishAll(reports []caseReport) []caseReport {
	for i := range reports {
		reports[i].finish()
	}
	return reports
}

// progressLine is one line per run on stderr.
func progressLine(c benchCase, kind string, run, runs int, r *runRecord) string {
	status := "ok"
	if !r.OK {
		status = "FAIL (" + r.Error + ")"
	}
	return fmt.Sprintf("bench: %-7s %-5s run %d/%d: %s: %d/%d in %.2f s, client CPU %.3f s, server CPU %.2f s (peak %.0f%%)",
		c.ID, kind, run, runs, status, r.Count, r.N, r.WallS, r.CPUS(), r.ServerCPUS, r.ServerPeakUtil*100)
}
