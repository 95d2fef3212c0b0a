package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

const callHelp = `
Joins TOPIC, pushes EVENT once with PAYLOAD, and prints the reply payload as
JSON on stdout (indented on a terminal unless --json). A binary reply is
printed as a JSON string holding its base64.

--timeout bounds each step: the connect, the join and the call.

Exit codes:
  0    the server answered "ok" (reply printed)
  1    the server answered "error" (reply printed)
  2    no reply before --timeout
  3    the join was refused (reply printed, e.g. {"reason":"unauthorized"}) or timed out
  4    bad usage, bad flags or URL, or no connection (refused, HTTP 403, lost)
  130  interrupted before the reply

Example:
  phx call --url ws://127.0.0.1:4000/socket --topic room:lobby --event echo --payload '{"hi":1}'
`

func runCall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("call", "--url URL --topic TOPIC --event EVENT [flags]", callHelp)
	var cf connFlags
	cf.register(fs, "")
	var payload, joinPayload jsonFlag
	topic := fs.String("topic", "", "`topic` to join, e.g. room:lobby (required)")
	event := fs.String("event", "", "`event` to push, the server's handle_in/3 event (required)")
	fs.Var(&payload, "payload", "push payload, one JSON value (default {})")
	fs.Var(&joinPayload, "join-payload", "join params, one JSON value (default {})")
	timeout := fs.Duration("timeout", 10*time.Second, "bound of the connect, the join and the call, each")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErr("unexpected argument %q (give the topic with --topic)", pos[0])
	case *topic == "":
		return usageErr("--topic is required")
	case *event == "":
		return usageErr("--event is required")
	case *timeout <= 0:
		return usageErr("--timeout must be positive, got %v", *timeout)
	}
	if err := checkEvent(*event); err != nil {
		return err
	}
	if err := cf.validateURL(); err != nil {
		return err
	}
	log, err := cf.logger(stderr)
	if err != nil {
		return err
	}
	sup := newSupervisor(log)
	defer shutdown(sup)

	connErr := make(chan error, 1)
	ep, err := cf.endpoint(ctx, sup,
		supervisor.WithDialTimeout(*timeout),
		supervisor.WithStatusHandler(func(ev supervisor.SocketEvent) {
			if ev.Status == supervisor.SocketClosed && ev.Err != nil {
				select {
				case connErr <- ev.Err:
				default:
				}
			}
		}))
	if err != nil {
		return err
	}
	cfg := supervisor.Config[json.RawMessage]{
		Topic:        *topic,
		JoinTimeout:  *timeout,
		CallTimeout:  *timeout,
		MaxJoinTries: 1,
	}
	if joinPayload.raw != nil {
		jp := joinPayload.raw
		cfg.Join = func(*json.RawMessage) any { return jp }
	}
	s, err := supervisor.NewSession(ep, cfg)
	if err != nil {
		return usageErr("bad --topic: %v", err)
	}
	call := supervisor.NewCall[json.RawMessage, json.RawMessage, json.RawMessage](s, "call", *event)

	joined, failed := make(chan struct{}), make(chan *supervisor.Error, 1)
	var once sync.Once
	unsubscribe := s.Subscribe(func(st supervisor.State[json.RawMessage]) {
		switch st.Status {
		case supervisor.Ready:
			once.Do(func() { close(joined) })
		case supervisor.Failed:
			select {
			case failed <- st.Error:
			default:
			}
		}
	})
	defer unsubscribe()

	select {
	case <-joined:
	case e := <-failed:
		return joinFailed(*topic, e, stdout, stderr, cf.json)
	case err := <-connErr:
		return withCode(exitUsage, fmt.Errorf("cannot connect to %s: %s", cf.redacted(), describeConnErr(err)))
	case <-ctx.Done():
		return withCode(exitInterrupted, errors.New("interrupted"))
	}

	body := payload.raw
	if body == nil {
		body = json.RawMessage("{}")
	}
	reply, err := call.Call(ctx, body)
	var re *supervisor.ReplyError[json.RawMessage]
	switch {
	case err == nil:
		printPayload(stdout, reply, cf.json)
		return nil
	case errors.As(err, &re):
		printPayload(stdout, re.Raw, cf.json)
		return withCode(exitReplyErr, fmt.Errorf("%s on %s: error reply", *event, *topic))
	case errors.Is(err, supervisor.ErrTimeout):
		return withCode(exitTimeout, fmt.Errorf("%s on %s: no reply within %v", *event, *topic, *timeout))
	case errors.Is(err, supervisor.ErrInvalidOption):
		return withCode(exitUsage, fmt.Errorf("bad --event: %v", err))
	case ctx.Err() != nil:
		return withCode(exitInterrupted, errors.New("interrupted"))
	default:
		return withCode(exitUsage, fmt.Errorf("%s on %s: %v", *event, *topic, err))
	}
}

// joinFailed prints why the join failed and returns exit code 3.
func joinFailed(topic string, e *supervisor.Error, stdout, stderr io.Writer, asJSON bool) error {
	if e != nil && e.Kind == supervisor.KindConnectError {
		if b, err := json.Marshal(stateError(e).Cause); err == nil && string(b) != "null" {
			printPayload(stdout, b, asJSON)
		}
	}
	what := "failed"
	if e != nil && e.Kind == supervisor.KindConnectTimeout {
		what = "timed out"
	}
	fmt.Fprintf(stderr, "phx call: join %s %s: %s\n", topic, what, reasonOf(e))
	return reported(exitJoinFail, fmt.Errorf("join %s %s", topic, what))
}

// describeConnErr explains a connection error, with a hint for HTTP 403.
func describeConnErr(err error) string {
	var ce *supervisor.ConnectionError
	if errors.As(err, &ce) && ce.HTTPCode == 403 {
		return "the server refused the socket (HTTP 403): check --token and --param"
	}
	return err.Error()
}

// printPayload prints a reply payload as one JSON line, indented on a
// terminal unless asJSON.
func printPayload(w io.Writer, p []byte, asJSON bool) {
	raw, _ := payloadJSON(p)
	if !asJSON && isTTY(w) {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			raw = buf.Bytes()
		}
	}
	fmt.Fprintf(w, "%s\n", raw)
}
