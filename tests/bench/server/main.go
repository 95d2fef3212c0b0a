// Command server is the benchmark's Phoenix-protocol server: tests/phxtest
// with the demo app (room:* and chat:* channels: join, echo, flood) on
// --addr, with a channel cap high enough for W1 (one socket joining 100,000
// topics), printing its socket URL on stdout and running until killed.
//
// The orchestrator uses `phx serve` instead when cmd/phx has it (see
// ../README.md); this command keeps the harness independent of the CLI.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rvct/phoenix/tests/phxtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4000", "listen address")
	maxChannels := flag.Int("max-channels", 1_000_000, "channels one socket may join")
	flag.Parse()
	srv, err := phxtest.Listen(*addr,
		phxtest.WithDemoApp(),
		phxtest.WithProfile(phxtest.Phoenix18),
		phxtest.WithMaxChannels(*maxChannels),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
}
