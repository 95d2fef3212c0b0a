package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// hooks let tests run commands against in-memory servers (and so under
// testing/synctest). Production runs have none.
type hooks struct {
	// dial replaces the TCP dialer for --url targets.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// listen starts the embedded server instead of phxtest.Listen.
	listen func(addr string, opts ...phxtest.Option) (*phxtest.Server, error)
	// started is told about every embedded server once it is up.
	started func(*phxtest.Server)
}

type hooksKey struct{}

// withHooks returns ctx carrying h.
func withHooks(ctx context.Context, h hooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) hooks {
	h, _ := ctx.Value(hooksKey{}).(hooks)
	return h
}

// startEmbedded starts the demo app server on addr (phxtest.Listen unless a
// test hook replaces it).
func startEmbedded(ctx context.Context, addr string, opts ...phxtest.Option) (*phxtest.Server, error) {
	h := hooksFrom(ctx)
	listen := h.listen
	if listen == nil {
		listen = phxtest.Listen
	}
	srv, err := listen(addr, append([]phxtest.Option{phxtest.WithDemoApp()}, opts...)...)
	if err != nil {
		return nil, err
	}
	if h.started != nil {
		h.started(srv)
	}
	return srv, nil
}

// shutdownGrace bounds a supervisor's or server's graceful stop at exit.
const shutdownGrace = 5 * time.Second

// shutdown stops sup gracefully (leaves, close frames), then hard.
func shutdown(sup *supervisor.Supervisor) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := sup.Shutdown(ctx); err != nil {
		_ = sup.Close()
	}
}

// stopServer stops an embedded server: close 1012 to every client, then close.
func stopServer(srv *phxtest.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// newSupervisor starts a Supervisor logging to log.
func newSupervisor(log *slog.Logger) *supervisor.Supervisor {
	return supervisor.New(supervisor.WithLogger(log))
}

// isTTY reports whether w is a terminal.
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
