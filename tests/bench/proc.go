package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procCPU returns the user+system CPU seconds of a live process from
// /proc/<pid>/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a stat line; the
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command field")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("proc stat: too few fields")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("proc stat: %w", err)
	}
	return float64(ut+st) / clockTicks, nil
}

// pinning says how processes are pinned to CPUs.
type pinning struct {
	taskset string // path of taskset; empty: no pinning
	server  string // CPU list of the server
	client  string // CPU list of the clients
}

// detectPinning pins the server to CPU 0 and clients to CPU 1 when taskset
// exists and this process may use at least two CPUs.
func detectPinning(disabled bool) (pinning, string) {
	if disabled {
		return pinning{}, "pinning disabled (--no-pin)"
	}
	path, err := exec.LookPath("taskset")
	if err != nil {
		return pinning{}, "taskset not found: processes are not pinned"
	}
	if runtime.NumCPU() < 2 {
		return pinning{}, "fewer than 2 CPUs: processes are not pinned"
	}
	return pinning{taskset: path, server: "0", client: "1"}, "server pinned to CPU 0, clients to CPU 1 (taskset)"
}

// command wraps argv in taskset for the given CPU list when pinning.
func (p pinning) command(cpus string, argv []string) []string {
	if p.taskset == "" || cpus == "" {
		return argv
	}
	return append([]string{p.taskset, "-c", cpus}, argv...)
}
