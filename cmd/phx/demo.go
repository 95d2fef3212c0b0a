package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

const demoHelp = `
Runs the seed's chat store (initial value, connect.ok, new_msg events, the
send action calling new_msg) and prints every state it emits, in order,
under the step of the seed's lifecycle sequence diagram that caused it:
create, subscribe and JOIN OK (then the JOIN ERROR and JOIN TIMEOUT
alternatives on other topics), an incoming new_msg, send with CALL OK, CALL
ERROR and CALL TIMEOUT, and unsubscribe.

Without --url it starts the embedded server (see phx serve) and uses it to
seed a message, broadcast an event, and withhold replies for the timeout
steps. With --url it runs against that server (the transcripts' app or one
like it) and skips the steps that need server control.

Output: human text, or with --json one JSON object per state:
  {"step":ID,"title":T,"topic":TOPIC,"state":{"value","status","error","processing","errors","timeouts"}}
and {"step":ID,"title":T,"skipped":WHY} for a skipped step.

Exit codes: 0 done; 1 a step did not end as the diagram says within
--step-timeout; 4 bad usage or no connection; 130 interrupted.
`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[--url URL] [flags]", demoHelp)
	var cf connFlags
	cf.register(fs, "Phoenix socket URL to run against (default: start the embedded server)")
	topic := fs.String("topic", "chat:lobby", "the chat `topic`")
	callTimeout := fs.Duration("call-timeout", 2*time.Second, "the store's call and join timeout (the TIMEOUT steps wait this long)")
	stepTimeout := fs.Duration("step-timeout", 15*time.Second, "bound of each step")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	if *callTimeout <= 0 || *stepTimeout <= 0 {
		return usageErr("--call-timeout and --step-timeout must be positive")
	}
	log, err := cf.logger(stderr)
	if err != nil {
		return err
	}
	var srv *phxtest.Server
	if cf.url == "" {
		srv, err = startEmbedded(ctx, "127.0.0.1:0", phxtest.WithLogger(log))
		if err != nil {
			return usageErr("cannot start the embedded server: %v", err)
		}
		defer stopServer(srv)
		cf.url, cf.dial = srv.URL(), srv.DialContext
	} else if err := cf.validateURL(); err != nil {
		return err
	}
	sup := newSupervisor(log)
	defer shutdown(sup)
	connErr := make(chan error, 1)
	ep, err := cf.endpoint(ctx, sup, supervisor.WithStatusHandler(func(ev supervisor.SocketEvent) {
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
	out := newOutQueue(stdout)
	defer out.Close()
	d := &demo{ctx: ctx, srv: srv, ep: ep, out: out, json: cf.json, topic: *topic,
		callTimeout: *callTimeout, stepTimeout: *stepTimeout, connErr: connErr}
	if !cf.json {
		where := "the embedded server at " + cf.url
		if srv == nil {
			where = cf.redacted()
		}
		out.Put(fmt.Appendf(nil, "phx demo: the seed's chat store on %s, against %s", *topic, where))
	}
	return d.run()
}

// demo walks the seed's sequence diagram.
type demo struct {
	ctx         context.Context
	srv         *phxtest.Server // nil with --url
	ep          *supervisor.Endpoint
	out         *outQueue
	json        bool
	topic       string
	callTimeout time.Duration
	stepTimeout time.Duration
	connErr     chan error
	title       string // of the current step
}

// watched is a store whose states the demo consumes in order.
type watched struct {
	s      *supervisor.Session[chatValue]
	send   *supervisor.Call[sendPayload, sendOk, sendError, chatValue]
	states chan supervisor.State[chatValue]
	unsub  func()
	last   supervisor.State[chatValue]
}

func (d *demo) newStore(topic string) (*watched, error) {
	cfg := chatConfig(topic)
	cfg.CallTimeout, cfg.JoinTimeout = d.callTimeout, d.callTimeout
	s, err := supervisor.NewSession(d.ep, cfg)
	if err != nil {
		return nil, usageErr("bad --topic: %v", err)
	}
	w := &watched{s: s, states: make(chan supervisor.State[chatValue], 1024)}
	w.send = supervisor.NewCall[sendPayload, sendOk, sendError](s, "send", "new_msg")
	w.last = s.State()
	return w, nil
}

func (w *watched) subscribe() {
	first := true
	w.unsub = w.s.Subscribe(func(st supervisor.State[chatValue]) {
		if first { // the current state, already shown
			first = false
			return
		}
		w.states <- st
	})
}

func (d *demo) run() error {
	chat, err := d.newStore(d.topic)
	if err != nil {
		return err
	}
	if d.srv != nil {
		d.srv.Demo().Post(d.topic, "Hello")
	}
	d.heading("create", "App->>Store: session(socket, config).extend(...)")
	d.print("create", d.topic, chat.last)

	d.heading("join_ok", "App->>Store: subscribe(listener); Store->>Chan: channel.join(); alt JOIN OK")
	chat.subscribe()
	defer func() { chat.unsub() }()
	if err := d.until("join_ok", chat, nil, func(s supervisor.State[chatValue], _ error) bool { return s.Status == supervisor.Ready }); err != nil {
		return err
	}

	d.heading("join_error", "else JOIN ERROR (a second store, on chat:forbidden)")
	if err := d.joinBranch("join_error", "chat:forbidden"); err != nil {
		return err
	}
	if d.srv == nil {
		d.skip("join_timeout", "else JOIN TIMEOUT", "needs the embedded server to withhold the join reply")
	} else {
		d.heading("join_timeout", "else JOIN TIMEOUT (a third store, on chat:timeout; the server withholds the join reply)")
		d.srv.WithholdReplies("phx_join", true)
		err := d.joinBranch("join_timeout", "chat:timeout")
		d.srv.WithholdReplies("phx_join", false)
		if err != nil {
			return err
		}
	}

	if d.srv == nil {
		d.skip("event", "Chan-->>Store: new_msg", "needs the embedded server to broadcast (send below broadcasts one)")
	} else {
		d.heading("event", `Chan-->>Store: new_msg {id: "2", body: "Hi", ...} (another user's message)`)
		m := d.srv.Demo().Post(d.topic, "Hi")
		if err := d.srv.Broadcast(d.topic, "new_msg", phxtest.JSON(m)); err != nil {
			return err
		}
		n := len(chat.last.Value.Messages) + 1
		if err := d.until("event", chat, nil, func(s supervisor.State[chatValue], _ error) bool { return len(s.Value.Messages) == n }); err != nil {
			return err
		}
	}

	d.heading("call_ok", `App->>Store: send({body: "Hello from phx"}); alt CALL OK`)
	if err := d.callStep("call_ok", chat, "Hello from phx", func(s supervisor.State[chatValue], err error) bool {
		return err == nil && !chat.send.Processing(s)
	}); err != nil {
		return err
	}
	d.heading("call_error", `else CALL ERROR: send({body: " "}) is answered {"reason": "empty_message"}`)
	if err := d.callStep("call_error", chat, " ", func(s supervisor.State[chatValue], err error) bool {
		var re *supervisor.ReplyError[sendError]
		return errors.As(err, &re) && chat.send.Error(s) != nil
	}); err != nil {
		return err
	}
	if d.srv == nil {
		d.skip("call_timeout", "else CALL TIMEOUT", "needs the embedded server to withhold the reply")
	} else {
		d.heading("call_timeout", fmt.Sprintf("else CALL TIMEOUT: the server withholds the reply; the client gives up after %v", d.callTimeout))
		d.srv.WithholdReplies("new_msg", true)
		err := d.callStep("call_timeout", chat, "Are you there?", func(s supervisor.State[chatValue], err error) bool {
			return errors.Is(err, supervisor.ErrTimeout) && chat.send.TimedOut(s)
		})
		d.srv.WithholdReplies("new_msg", false)
		if err != nil {
			return err
		}
	}

	d.heading("unsubscribe", "App->>Store: unsubscribe(); Store->>Chan: channel.leave(); the last state remains readable")
	chat.unsub()
	chat.unsub = func() {}
	d.print("unsubscribe", d.topic, chat.s.State())
	return nil
}

// joinBranch subscribes a store on topic, shows its states until it fails,
// and unsubscribes.
func (d *demo) joinBranch(step, topic string) error {
	w, err := d.newStore(topic)
	if err != nil {
		return err
	}
	d.print(step, topic, w.last)
	w.subscribe()
	defer w.unsub()
	return d.until(step, w, nil, func(s supervisor.State[chatValue], _ error) bool { return s.Status == supervisor.Failed })
}

// callStep runs send(body) and shows the states until the call returned
// and done(latest state, the call's error) holds.
func (d *demo) callStep(step string, w *watched, body string, done func(supervisor.State[chatValue], error) bool) error {
	result, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		_, err := w.send.Call(d.ctx, sendPayload{Body: body})
		result <- err
	}()
	err := d.until(step, w, result, done)
	<-finished // the call ends by its timeout or ctx at worst
	return err
}

// until prints w's states until the call (if any) returned and cond holds
// for the latest state and the call's error.
func (d *demo) until(step string, w *watched, call <-chan error, cond func(supervisor.State[chatValue], error) bool) error {
	timer := time.NewTimer(d.stepTimeout)
	defer timer.Stop()
	var callErr error
	callDone := call == nil
	for !callDone || !cond(w.last, callErr) {
		select {
		case st := <-w.states:
			w.last = st
			d.print(step, w.s.Topic(), st)
		case err := <-call:
			callErr, callDone, call = err, true, nil
		case err := <-d.connErr:
			return withCode(exitUsage, fmt.Errorf("cannot connect: %s", describeConnErr(err)))
		case <-timer.C:
			return fmt.Errorf("step %s did not end as the diagram says within %v (last status %s, call error %v)", step, d.stepTimeout, w.last.Status, callErr)
		case <-d.ctx.Done():
			return withCode(exitInterrupted, errors.New("interrupted"))
		}
	}
	return nil
}

func (d *demo) heading(step, title string) {
	d.title = title
	if d.json {
		return
	}
	d.out.Put(fmt.Appendf(nil, "\n[%s] %s", step, title))
}

func (d *demo) skip(step, title, why string) {
	if d.json {
		d.out.PutJSON(map[string]string{"step": step, "title": title, "skipped": why})
		return
	}
	d.out.Put(fmt.Appendf(nil, "\n[%s] %s: skipped (%s)", step, title, why))
}

func (d *demo) print(step, topic string, s supervisor.State[chatValue]) {
	st := seedStateOf(s)
	if d.json {
		d.out.PutJSON(struct {
			Step  string    `json:"step"`
			Title string    `json:"title"`
			Topic string    `json:"topic"`
			State seedState `json:"state"`
		}{step, d.title, topic, st})
		return
	}
	b, err := json.Marshal(st)
	if err != nil {
		b = []byte(err.Error())
	}
	d.out.Put(fmt.Appendf(nil, "  %s emit state %s", topic, b))
}
