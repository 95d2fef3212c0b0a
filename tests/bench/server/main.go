// Command server is the benchmark's Phoenix-protocol server: it serves the
// demo app's room:* and chat:* channels (join, echo, flood) on --addr and
// prints its socket URL on stdout, then runs until killed.
//
// It exists so that the harness can run before `phx serve` lands; the
// orchestrator prefers `phx serve` when it is available (see ../README.md).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4000", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: newStub()}
	fmt.Printf("ws://%s/socket\n", ln.Addr())
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}
