package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
)

// paramsFlag collects repeated --param k=v.
type paramsFlag struct{ v url.Values }

func (p *paramsFlag) String() string {
	if p == nil || p.v == nil {
		return ""
	}
	return p.v.Encode()
}

func (p *paramsFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want k=v, got %q", s)
	}
	if p.v == nil {
		p.v = url.Values{}
	}
	p.v.Add(k, v)
	return nil
}

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listFlag) Set(s string) error {
	if s == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, s)
	return nil
}

// jsonFlag is a flag whose value must be one JSON value.
type jsonFlag struct{ raw json.RawMessage }

func (j *jsonFlag) String() string {
	if j == nil {
		return ""
	}
	return string(j.raw)
}

func (j *jsonFlag) Set(s string) error {
	if !json.Valid([]byte(s)) {
		return fmt.Errorf("not valid JSON: %.60q", s)
	}
	j.raw = json.RawMessage(s)
	return nil
}

// object decodes the flag as a JSON object (nil when unset).
func (j *jsonFlag) object(name string) (map[string]json.RawMessage, error) {
	if j.raw == nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(j.raw, &m); err != nil || m == nil {
		return nil, usageErr("--%s must be a JSON object, got %.60s", name, j.raw)
	}
	return m, nil
}

// connFlags are the flags every subcommand that connects takes.
type connFlags struct {
	url      string
	params   paramsFlag
	token    string
	logLevel string
	json     bool

	// dial replaces the TCP dialer: set for the embedded server (its own
	// DialContext) and by tests (see hooks).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c *connFlags) register(fs *flag.FlagSet, urlHelp string) {
	if urlHelp == "" {
		urlHelp = "Phoenix socket URL, e.g. ws://127.0.0.1:4000/socket (required)"
	}
	fs.StringVar(&c.url, "url", "", urlHelp)
	fs.Var(&c.params, "param", "socket param `k=v` (repeatable), e.g. --param token=abc")
	fs.StringVar(&c.token, "token", "", "auth `token`, sent in the Sec-WebSocket-Protocol header (Phoenix auth_token: true)")
	c.registerOutput(fs)
}

// registerOutput registers --log-level and --json only.
func (c *connFlags) registerOutput(fs *flag.FlagSet) {
	fs.StringVar(&c.logLevel, "log-level", "warn", "log `level` on stderr: debug, info, warn, error or off")
	fs.BoolVar(&c.json, "json", false, "machine output: JSON (one object per line where output streams)")
}

// validateURL checks the socket URL early so a bad one is a usage error.
func (c *connFlags) validateURL() error {
	if c.url == "" {
		return usageErr("--url is required (a Phoenix socket URL such as ws://127.0.0.1:4000/socket)")
	}
	if _, err := protocol.EndpointURL(c.url, nil, ""); err != nil {
		return usageErr("bad --url: %v", err)
	}
	return nil
}

// logger builds the stderr logger for --log-level.
func (c *connFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(c.logLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning", "":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	case "off", "none":
		return slog.New(slog.DiscardHandler), nil
	default:
		return nil, usageErr("bad --log-level %q: want debug, info, warn, error or off", c.logLevel)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// endpoint opens the endpoint for --url with --param, --token and the
// dialer; a bad URL or option is a usage error.
func (c *connFlags) endpoint(ctx context.Context, sup *supervisor.Supervisor, extra ...supervisor.EndpointOption) (*supervisor.Endpoint, error) {
	var opts []supervisor.EndpointOption
	if len(c.params.v) > 0 {
		opts = append(opts, supervisor.WithStaticParams(c.params.v))
	}
	if c.token != "" {
		tok := c.token
		opts = append(opts, supervisor.WithAuthToken(func() string { return tok }))
	}
	dial := c.dial
	if dial == nil {
		dial = hooksFrom(ctx).dial
	}
	if dial != nil {
		opts = append(opts, supervisor.WithNetDialContext(dial))
	}
	ep, err := sup.Endpoint(c.url, append(opts, extra...)...)
	if err != nil {
		return nil, usageErr("bad --url or option: %v", err)
	}
	return ep, nil
}

// redacted is the URL for messages: no query, no user info.
func (c *connFlags) redacted() string { return protocol.RedactURL(c.url) }

// checkEvent refuses a push of one of the protocol's reserved events.
func checkEvent(event string) error {
	switch event {
	case protocol.EventJoin, protocol.EventLeave, protocol.EventReply, protocol.EventError, protocol.EventClose:
		return usageErr("bad --event %q: reserved by the Phoenix channel protocol", event)
	}
	return nil
}
