package main

import (
	"context"
	"os/exec"
	"syscall"
)

// raiseFileLimit raises the open-file soft limit to the hard limit, so that
// the clients (Node included: Go restores the original limit for children
// unless the program sets it itself) can open thousands of sockets.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// execCommand is exec.CommandContext (a seam for the few short helper calls).
func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// childAttr puts a server or client in its own process group (so that it
// can be killed with its children) and has the kernel kill it if the
// orchestrator dies, so that no server is left listening.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
