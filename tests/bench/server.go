package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Bounds of the server's life cycle.
const (
	serverStartTimeout = 15 * time.Second
	processKillTimeout = 5 * time.Second
	cpuSampleInterval  = 250 * time.Millisecond
	minLastWindow      = 100 * time.Millisecond // a shorter last window is too coarse for 10 ms ticks
)

// serverSpec says how to start the server process.
type serverSpec struct {
	name    string                     // "bench" (tests/bench/server) or "phx" (phx serve)
	argv    func(addr string) []string // command line, unpinned
	pin     pinning
	logPath string // stdout and stderr of every server process, appended
}

// serverProc is one running server process.
type serverProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process is reaped
}

// freeAddr picks a free loopback TCP address.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// start starts a server on addr, pinned, with GOMAXPROCS=1, and waits until
// it accepts connections.
func (s serverSpec) start(ctx context.Context, addr string) (*serverProc, error) {
	argv := s.pin.command(s.pin.server, s.argv(addr))
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	p := &serverProc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(serverStartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("server exited at start (%s): see %s:\n%s", cmd.ProcessState, s.logPath, fileTail(s.logPath, 1500))
		case <-ctx.Done():
			p.kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("server not listening on %s after %s: see %s", addr, serverStartTimeout, s.logPath)
		}
	}
}

// pid is the server's process id (taskset execs the server in place).
func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// kill ends the server's process group with SIGKILL and reaps it.
func (p *serverProc) kill() {
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(processKillTimeout):
	}
}

// fileTail reads the last n bytes of a file ("" when unreadable).
func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return tail(string(b), n)
}

// cpuSampler follows the CPU use of the server processes of one client run
// (a W5 run has two): total seconds and the peak utilisation over sampling
// intervals.
type cpuSampler struct {
	mu       sync.Mutex
	pid      int
	base     float64 // CPU of the current process when it was adopted
	last     float64 // last reading of the current process
	done     float64 // CPU of earlier processes, finished
	lastAt   time.Time
	lastTot  float64
	peakUtil float64
	stop     chan struct{}
	wg       sync.WaitGroup
}

// newCPUSampler starts sampling pid every cpuSampleInterval.
func newCPUSampler(pid int) *cpuSampler {
	s := &cpuSampler{stop: make(chan struct{})}
	s.adopt(pid)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(cpuSampleInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

// adopt switches to a new server process (after a restart), keeping what
// the earlier one used.
func (s *cpuSampler) adopt(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pid != 0 {
		if c, err := procCPU(s.pid); err == nil { // still alive: a fresh reading
			s.last = c
		}
		s.done += s.last - s.base
	}
	s.pid = pid
	c, _ := procCPU(pid)
	s.base, s.last = c, c
	if s.lastAt.IsZero() {
		s.lastAt, s.lastTot = time.Now(), s.done
	}
}

// sample reads the current process once (call it before killing it too).
func (s *cpuSampler) sample() { s.sampleWindow(cpuSampleInterval * 4 / 5) }

// sampleWindow reads the current process and closes the utilisation window
// when it is at least minWindow long.
func (s *cpuSampler) sampleWindow(minWindow time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, err := procCPU(s.pid); err == nil {
		s.last = c
	}
	now, tot := time.Now(), s.done+s.last-s.base
	if dt := now.Sub(s.lastAt).Seconds(); dt >= minWindow.Seconds() {
		s.peakUtil = max(s.peakUtil, (tot-s.lastTot)/dt)
		s.lastAt, s.lastTot = now, tot
	}
}

// finish stops sampling and returns total CPU seconds and peak utilisation
// (1.0 = one CPU busy). Call it while the server still runs.
func (s *cpuSampler) finish() (total, peak float64) {
	s.sampleWindow(minLastWindow)
	close(s.stop)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done + s.last - s.base, s.peakUtil
}

var errNoResult = errors.New("client wrote no result")
