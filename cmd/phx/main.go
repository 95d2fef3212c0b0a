// Command phx is the command-line face of the phx library: an embedded
// Phoenix-protocol server (serve), the seed's chat lifecycle (demo), a topic
// listener (listen), a one-shot call (call), a load generator (load) and an
// event bridge (bridge). Run `phx help` for the list and `phx CMD -h` for
// each command's flags, output and exit codes.
//
// The first SIGINT or SIGTERM asks the running command to finish (listen and
// bridge stop and report, load prints its report so far); a second one kills
// the process at once.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the next signal gets the default behaviour: exit now
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}
