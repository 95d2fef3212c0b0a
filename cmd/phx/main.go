// Command phx is the command-line face of the phx library: an embedded
// Phoenix-protocol server (serve), the seed's chat lifecycle (demo), a topic
// listener (listen), a one-shot call (call), a load generator (load) and an
// event bridge (bridge). Run `phx help` for the list and `phx CMD -h` for
// each command's flags and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}
