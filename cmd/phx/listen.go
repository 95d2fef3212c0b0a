package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

const listenHelp = `
Mounts one session per TOPIC and prints, until interrupted (SIGINT/SIGTERM):

  {"topic":T,"kind":"state","status":S,"error":E,"value":V}   whenever the session emits a state
  {"topic":T,"kind":"event","event":N,"payload":P}            for each incoming event

status is loading, ready, stale or failed; error is null or {"kind","cause"}
(kind connect_error, connect_timeout, channel_error, transport or closed);
value is the latest join reply. A binary payload is a JSON string holding its
base64, with "binary":true. Lines are JSON when --json is given or stdout is
not a terminal; on a terminal they are a human form of the same.

Sessions survive reconnects and server restarts: a lost connection prints a
"stale" state, the rejoin a "ready" one.

Exit codes: 0 when interrupted; 4 bad usage, bad flags, URL or topic.

Example:
  phx listen --url ws://127.0.0.1:4000/socket chat:lobby room:1
`

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("listen", "--url URL [flags] TOPIC...", listenHelp)
	var cf connFlags
	cf.register(fs, "")
	var joinPayload jsonFlag
	fs.Var(&joinPayload, "join-payload", "join params of every topic, one JSON value (default {})")
	topics, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(topics) == 0 {
		return usageErr("no topic given: phx listen --url URL TOPIC...")
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
	ep, err := cf.endpoint(ctx, sup)
	if err != nil {
		return err
	}
	out := newOutQueue(stdout)
	defer out.Close()
	p := &listenPrinter{out: out, human: !cf.json && isTTY(stdout)}

	var unsubscribes []func()
	defer func() {
		for _, u := range unsubscribes {
			u()
		}
	}()
	for _, topic := range topics {
		u, err := p.listen(ep, topic, joinPayload.raw)
		if err != nil {
			return usageErr("topic %q: %v", topic, err)
		}
		unsubscribes = append(unsubscribes, u)
	}
	<-ctx.Done()
	return nil
}

// listenPrinter prints the lines of every listened topic.
type listenPrinter struct {
	out   *outQueue
	human bool
}

type listenState struct {
	Topic  string          `json:"topic"`
	Kind   string          `json:"kind"`
	Status string          `json:"status"`
	Error  *errorJSON      `json:"error"`
	Value  json.RawMessage `json:"value"`
}

type listenEvent struct {
	Topic   string          `json:"topic"`
	Kind    string          `json:"kind"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
	Binary  bool            `json:"binary,omitempty"`
}

// listen mounts topic's session; its value is the latest join reply.
func (p *listenPrinter) listen(ep *supervisor.Endpoint, topic string, joinPayload json.RawMessage) (func(), error) {
	gate := &stateGate{}
	var s *supervisor.Session[json.RawMessage]
	cfg := supervisor.Config[json.RawMessage]{
		Topic: topic,
		Connect: supervisor.Connect[json.RawMessage]{
			Ok: supervisor.OnJoin(func(_ *json.RawMessage, reply json.RawMessage) json.RawMessage { return reply }),
		},
		// Runs on the session's actor, in order with its states.
		Unhandled: func(event string, payload json.RawMessage) {
			cur := s.State()
			gate.do(func() {
				if gate.fromActor(idOf(cur)) {
					p.state(topic, cur)
				}
				p.event(topic, event, payload)
			})
		},
	}
	if joinPayload != nil {
		cfg.Join = func(*json.RawMessage) any { return joinPayload }
	}
	var err error
	s, err = supervisor.NewSession(ep, cfg)
	if err != nil {
		return nil, err
	}
	return s.Subscribe(func(st supervisor.State[json.RawMessage]) {
		cur := s.State()
		gate.do(func() {
			if gate.fromSubscriber(idOf(st), idOf(cur)) {
				p.state(topic, st)
			}
		})
	}), nil
}

func (p *listenPrinter) state(topic string, st supervisor.State[json.RawMessage]) {
	line := listenState{Topic: topic, Kind: "state", Status: st.Status.String(), Error: stateError(st.Error), Value: rawOrNull(st.Value)}
	if !p.human {
		p.out.PutJSON(line)
		return
	}
	errText := ""
	if line.Error != nil {
		b, _ := json.Marshal(line.Error)
		errText = " error=" + string(b)
	}
	p.out.Put(fmt.Appendf(nil, "%s %s state %s%s value=%s", clock(), topic, line.Status, errText, line.Value))
}

func (p *listenPrinter) event(topic, event string, payload []byte) {
	raw, binary := payloadJSON(payload)
	if !p.human {
		p.out.PutJSON(listenEvent{Topic: topic, Kind: "event", Event: event, Payload: raw, Binary: binary})
		return
	}
	p.out.Put(fmt.Appendf(nil, "%s %s event %s %s", clock(), topic, event, raw))
}

func clock() string { return time.Now().Format("15:04:05.000") }
