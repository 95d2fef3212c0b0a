package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/rvct/phoenix/tests/phxtest"
)

const serveHelp = `
Runs the embedded Phoenix-protocol server: the demo app of the wire
transcripts (tests/phxtest), with the same events and replies as the real
app (chat:* history, new_msg, echo, ...; room:* echo). The socket is at
/socket; admin endpoints (POST /admin/broadcast, /admin/disconnect,
/admin/reset, /admin/crash, /admin/stall; GET /admin/stats) are on the same
address. Every token is accepted unless --require-token is given.

stdout gets exactly one line once the server listens: its socket URL, or with
--json {"url":..,"admin_url":..,"addr":..,"profile":..,"max_channels":..,
"require_token":bool}. A description goes to stderr. SIGINT/SIGTERM close
every connection with 1012 (service restart), as a Phoenix node does, then
the command exits 0.

Exit codes: 0 stopped by a signal; 4 bad usage or cannot listen on --addr.

Example:
  phx serve --addr 127.0.0.1:4000 --require-token good
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[--addr HOST:PORT] [flags]", serveHelp)
	var cf connFlags
	cf.registerOutput(fs)
	addr := fs.String("addr", "127.0.0.1:4000", "TCP `address` to listen on (port 0 picks a free one)")
	fs.StringVar(&cf.url, "url", "", "alternative to --addr: the socket URL to serve, ws://HOST:PORT/socket")
	token := fs.String("require-token", "", "accept only connections whose token param or auth token is `T`")
	maxChannels := fs.Int("max-channels", phxtest.DefaultMaxChannels, "channels one connection may join; more get \"too many channels joined\"")
	profile := fs.String("profile", "1.7", "Phoenix `version` to reproduce: 1.7 or 1.8")
	idle := fs.Duration("idle-timeout", phxtest.DefaultIdleTimeout, "close connections silent for this long with 1000 (0: never)")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	listenAddr := *addr
	if cf.url != "" {
		if listenAddr, err = addrFromURL(cf.url); err != nil {
			return err
		}
	}
	opts := []phxtest.Option{}
	switch *profile {
	case "1.7", "phoenix-1.7":
		opts = append(opts, phxtest.WithProfile(phxtest.Phoenix17))
	case "1.8", "phoenix-1.8":
		opts = append(opts, phxtest.WithProfile(phxtest.Phoenix18))
	default:
		return usageErr("bad --profile %q: want 1.7 or 1.8", *profile)
	}
	if *maxChannels < 1 {
		return usageErr("--max-channels must be at least 1, got %d", *maxChannels)
	}
	if *idle < 0 {
		return usageErr("--idle-timeout must not be negative, got %v", *idle)
	}
	opts = append(opts, phxtest.WithMaxChannels(*maxChannels), phxtest.WithIdleTimeout(*idle))
	if *token != "" {
		opts = append(opts, phxtest.RequireToken(*token))
	}
	log, err := cf.logger(stderr)
	if err != nil {
		return err
	}
	opts = append(opts, phxtest.WithLogger(log))
	srv, err := startEmbedded(ctx, listenAddr, opts...)
	if err != nil {
		return usageErr("cannot listen on %s: %v", listenAddr, err)
	}
	defer stopServer(srv)

	if cf.json {
		out := newOutQueue(stdout)
		out.PutJSON(map[string]any{
			"url": srv.URL(), "admin_url": srv.HTTPURL() + "/admin", "addr": srv.Addr(),
			"profile": srv.Profile().String(), "max_channels": *maxChannels, "require_token": *token != "",
		})
		_ = out.Close()
	} else {
		fmt.Fprintln(stdout, srv.URL())
		auth := "any token accepted"
		if *token != "" {
			auth = "only token " + *token + " accepted"
		}
		fmt.Fprintf(stderr, "phx serve: %s demo app (chat:*, room:*) at %s; %s; admin at %s/admin; Ctrl-C stops\n",
			srv.Profile(), srv.URL(), auth, srv.HTTPURL())
	}
	<-ctx.Done()
	return nil
}

// addrFromURL reads HOST:PORT from a socket URL ws://HOST:PORT/socket.
func addrFromURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", usageErr("bad --url %q: want ws://HOST:PORT/socket", s)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
	default:
		return "", usageErr("bad --url %q: serve speaks ws (or http) only", s)
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" && p != "/socket" {
		return "", usageErr("bad --url %q: the socket is served at /socket", s)
	}
	if u.Port() == "" {
		return u.Hostname() + ":80", nil
	}
	return u.Host, nil
}
