package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/rvct/phoenix/tests/bench/internal/benchfmt"
)

// defaultGrace is how long past its own deadline a client may take to write
// its result before the orchestrator kills it.
const defaultGrace = 20 * time.Second

// clientSpec says how to start one kind of client.
type clientSpec struct {
	kind    string
	argv    func(c benchCase, url string) []string // unpinned
	env     []string                               // added to the environment
	version string                                 // what is measured, e.g. "phoenix 1.8.16 + ws 8.18.3, node v20"
}

// runRecord is one client run: what the client measured and what the
// orchestrator saw of the server and the process.
type runRecord struct {
	benchfmt.Result
	Run            int     `json:"run"`
	ServerCPUS     float64 `json:"server_cpu_s"`     // server CPU while the client ran (all its processes)
	ServerPeakUtil float64 `json:"server_peak_util"` // highest server CPU use over 250 ms intervals (1 = one CPU)
	ProcessWallS   float64 `json:"process_wall_s"`   // client process lifetime
	ServerDownS    float64 `json:"server_down_s,omitempty"`
	StderrTail     string  `json:"stderr_tail,omitempty"`
}

// harness holds what every run shares.
type harness struct {
	server serverSpec
	pin    pinning
	log    io.Writer     // progress lines
	grace  time.Duration // past a case's deadline before a client is killed (defaultGrace when 0)
}

// runClient starts a fresh server, runs one client process for case c and
// returns its record. It never blocks past c.Deadline + the grace (+ the
// server's start and stop bounds); a client that fails or hangs gives a
// record with OK false and the reason.
func (h *harness) runClient(ctx context.Context, c benchCase, cl clientSpec, run int) runRecord {
	rec := runRecord{Run: run}
	rec.Workload, rec.Client, rec.N, rec.Goroutines = c.Workload, cl.kind, c.N, -1
	fail := func(err error) runRecord {
		rec.OK = false
		rec.Error = err.Error()
		return rec
	}
	addr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	srv, err := h.server.start(ctx, addr)
	if err != nil {
		return fail(err)
	}
	sampler := newCPUSampler(srv.pid())
	defer func() { srv.kill() }()

	url := "ws://" + addr + "/socket"
	argv := h.pin.command(h.pin.client, cl.argv(c, url))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS=1"), cl.env...)
	cmd.SysProcAttr = childAttr()
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fail(err)
	}
	// An os.Pipe rather than StdoutPipe: Wait must not close the read end
	// before the last line (the result) is read.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer stdout.Close()
	cmd.Stdout = stdoutW
	t0 := time.Now()
	err = cmd.Start()
	_ = stdoutW.Close()
	if err != nil {
		return fail(fmt.Errorf("start client: %w", err))
	}
	exited := make(chan struct{})
	lines := make(chan benchfmt.Line, 16)
	go readLines(stdout, lines, stderr)
	go func() { _ = cmd.Wait(); close(exited) }()
	killClient := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(processKillTimeout):
		}
	}

	grace := h.grace
	if grace == 0 {
		grace = defaultGrace
	}
	hard := time.NewTimer(c.Deadline + grace)
	defer hard.Stop()
	var result *benchfmt.Result
	var runErr error
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil // stdout closed; wait for the exit
				continue
			}
			switch {
			case l.Result != nil:
				result = l.Result
			case l.Phase == benchfmt.PhaseReady && c.Workload == benchfmt.W5:
				next, down, err := h.restartServer(ctx, srv, sampler, addr, stdin)
				if next != nil {
					srv = next
				}
				rec.ServerDownS = down.Seconds()
				if err != nil {
					runErr = err
					killClient()
					break loop
				}
			}
		case <-exited:
			// Read what the client wrote before exiting (bounded: a child
			// of the client could hold its stdout open).
			drain := time.After(2 * time.Second)
			for lines != nil {
				select {
				case l, ok := <-lines:
					if !ok {
						lines = nil
					} else if l.Result != nil {
						result = l.Result
					}
				case <-drain:
					lines = nil
				}
			}
			break loop
		case <-hard.C:
			runErr = fmt.Errorf("client gave no result within %s: killed", c.Deadline+grace)
			killClient()
			break loop
		case <-ctx.Done():
			runErr = ctx.Err()
			killClient()
			break loop
		}
	}
	if lines != nil {
		go func(ch <-chan benchfmt.Line) {
			for range ch { // let readLines finish
			}
		}(lines)
	}
	_ = stdin.Close()
	rec.ProcessWallS = time.Since(t0).Seconds()
	rec.ServerCPUS, rec.ServerPeakUtil = sampler.finish() // before the kill: a dead process has no /proc entry
	srv.kill()
	if result != nil {
		rec.Result = *result
	}
	switch {
	case runErr != nil:
		rec.OK = false
		rec.Error = runErr.Error()
	case result == nil:
		rec.OK = false
		rec.Error = fmt.Sprintf("%v (exit: %v)", errNoResult, cmd.ProcessState)
	}
	if !rec.OK {
		rec.StderrTail = stderr.String()
	}
	return rec
}

// restartServer kills the server, tells the client when, and starts a new
// server on the same address (W5).
func (h *harness) restartServer(ctx context.Context, old *serverProc, s *cpuSampler, addr string, stdin io.Writer) (*serverProc, time.Duration, error) {
	s.sample()
	killedAt := time.Now()
	old.kill()
	if _, err := io.WriteString(stdin, benchfmt.KilledLine(killedAt.UnixNano())); err != nil {
		return nil, 0, fmt.Errorf("telling the client about the kill: %w", err)
	}
	next, err := h.server.start(ctx, addr)
	down := time.Since(killedAt)
	if err != nil {
		return nil, down, fmt.Errorf("restart server: %w", err)
	}
	s.adopt(next.pid())
	return next, down, nil
}

// readLines parses the client's stdout lines; lines that are not JSON go to
// other (so they show in the stderr tail of a failed run).
func readLines(r io.Reader, out chan<- benchfmt.Line, other io.Writer) {
	defer close(out)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			l, perr := benchfmt.ParseLine(b)
			if perr == nil {
				out <- l
			} else {
				_, _ = other.Write(b)
				if !errors.Is(perr, benchfmt.ErrNotALine) {
					_, _ = fmt.Fprintln(other, perr)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
