package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rvct/phoenix/supervisor"
)

const bridgeHelp = `
Joins every --topic (and TOPIC argument) and forwards incoming events (all,
or those named by --event) to SINK as JSON lines
  {"topic":T,"event":E,"payload":P}
(a binary payload is a JSON string holding its base64, with "binary":true).
SINK is "-" (stdout), a file path (appended to), or an http(s):// URL that
receives one POST per line (Content-Type: application/json; any 2xx is
success). A failed write or POST is retried with exponential backoff
(--retry-min doubling to --retry-max) in order; nothing is dropped while
the process lives: lines wait in memory.

Cursors: with --cursor-field F, an item's cursor is its payload's field F (a
string or number; a dotted path reads nested objects). With --cursor-param
P, every join and rejoin sends P = the cursor of the last forwarded item, so
the server can answer with what was missed; --replay-field R names the
array of the join reply whose items are forwarded as --replay-event events.
Items whose cursor was already forwarded are skipped (the last
--dedup-window cursors of each topic are remembered), so across reconnects,
server restarts and channel crashes nothing is lost or forwarded twice, as
long as the server keeps its history. The first join sends no cursor (the
server sends its whole history) unless --cursor-start gives one.

The bridge rejoins by itself after connection losses, channel crashes and
refused joins; a channel the server closes (phx_close) is rejoined after 1 s.

On SIGINT/SIGTERM it leaves the channels, delivers what is waiting (for at
most --drain-timeout), and reports on stderr what it forwarded: human text,
or with --json one JSON object:
  {"sink","forwarded","replayed","duplicates","undelivered","sink_retries",
   "topics":{T:{"forwarded","replayed","duplicates","last_cursor"}}}
(forwarded counts lines written to the sink; replayed, duplicates and
last_cursor are counted when items are accepted).

Exit codes: 0 when interrupted (even with undelivered lines: see the
report); 4 bad usage, bad flags, URL, topic or sink.

Example (the transcripts' chat app):
  phx bridge --url ws://127.0.0.1:4000/socket --topic chat:lobby --to out.jsonl \
    --event new_msg --cursor-param last_id --cursor-field id \
    --replay-field messages --replay-event new_msg
`

// bridgeOpts are bridge's flags besides the connection's.
type bridgeOpts struct {
	topics, events                        listFlag
	to                                    string
	cursorParam, cursorField, cursorStart string
	replayField, replayEvent              string
	joinPayload                           jsonFlag
	window                                int
	retryMin, retryMax                    time.Duration
	httpTimeout, drainTimeout             time.Duration
}

func runBridge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bridge", "--url URL --topic TOPIC... --to SINK [flags]", bridgeHelp)
	var cf connFlags
	cf.register(fs, "")
	var o bridgeOpts
	fs.Var(&o.topics, "topic", "`topic` to forward (repeatable; arguments count too)")
	fs.StringVar(&o.to, "to", "", "`SINK`: - (stdout), a file path, or an http(s):// URL (required)")
	fs.Var(&o.events, "event", "forward only this `event` (repeatable; default all)")
	fs.StringVar(&o.cursorParam, "cursor-param", "", "join `param` carrying the last forwarded item's cursor, e.g. last_id")
	fs.StringVar(&o.cursorField, "cursor-field", "", "payload `field` holding an item's cursor, e.g. id")
	fs.StringVar(&o.cursorStart, "cursor-start", "", "cursor sent at the first join: a JSON number or string, or text sent as a string (default none: the whole history)")
	fs.StringVar(&o.replayField, "replay-field", "", "`array` of the join reply whose items are forwarded, e.g. messages")
	fs.StringVar(&o.replayEvent, "replay-event", "", "`event` name of the replayed items, e.g. new_msg")
	fs.Var(&o.joinPayload, "join-payload", "join params of every topic, a JSON object (the cursor param is added)")
	fs.IntVar(&o.window, "dedup-window", 100_000, "cursors remembered per topic")
	fs.DurationVar(&o.retryMin, "retry-min", 100*time.Millisecond, "first delay before retrying the sink")
	fs.DurationVar(&o.retryMax, "retry-max", 30*time.Second, "longest delay between sink retries")
	fs.DurationVar(&o.httpTimeout, "http-timeout", 10*time.Second, "timeout of one POST")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "at exit, how long to keep delivering what is waiting")
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	o.topics = append(o.topics, pos...)
	spec, base, start, err := o.validate()
	if err != nil {
		return err
	}
	if err := cf.validateURL(); err != nil {
		return err
	}
	log, err := cf.logger(stderr)
	if err != nil {
		return err
	}
	sk, err := openSink(o.to, stdout, o.httpTimeout)
	if err != nil {
		return err
	}
	b := &bridge{o: o, spec: spec, log: log, q: newItemQueue(), byTopic: map[string]*bridgeTopic{}}
	for _, t := range o.topics {
		b.topics = append(b.topics, newBridgeTopic(t, spec, base, start))
		b.byTopic[t] = b.topics[len(b.topics)-1]
	}
	err = b.run(ctx, &cf, sk)
	if cerr := sk.close(); cerr != nil && err == nil {
		log.Warn("phx bridge: closing the sink", "err", cerr)
	}
	if err != nil {
		return err
	}
	b.report(stderr, cf.json, sk)
	return nil
}

func (o *bridgeOpts) validate() (*bridgeSpec, map[string]json.RawMessage, json.RawMessage, error) {
	switch {
	case len(o.topics) == 0:
		return nil, nil, nil, usageErr("no topic given: --topic TOPIC (repeatable) or TOPIC arguments")
	case o.cursorParam != "" && o.cursorField == "":
		return nil, nil, nil, usageErr("--cursor-param needs --cursor-field (where an item's cursor is)")
	case o.cursorStart != "" && o.cursorParam == "":
		return nil, nil, nil, usageErr("--cursor-start needs --cursor-param")
	case o.replayField != "" && o.replayEvent == "":
		return nil, nil, nil, usageErr("--replay-field needs --replay-event (the event name of replayed items)")
	case o.replayEvent != "" && o.replayField == "":
		return nil, nil, nil, usageErr("--replay-event needs --replay-field")
	case o.window < 1:
		return nil, nil, nil, usageErr("--dedup-window must be at least 1, got %d", o.window)
	case o.retryMin <= 0 || o.retryMax < o.retryMin:
		return nil, nil, nil, usageErr("want 0 < --retry-min <= --retry-max, got %v and %v", o.retryMin, o.retryMax)
	case o.httpTimeout <= 0 || o.drainTimeout < 0:
		return nil, nil, nil, usageErr("--http-timeout must be positive and --drain-timeout not negative")
	}
	seen := map[string]bool{}
	for _, t := range o.topics {
		if seen[t] {
			return nil, nil, nil, usageErr("topic %q given twice", t)
		}
		seen[t] = true
	}
	base, err := o.joinPayload.object("join-payload")
	if err != nil {
		return nil, nil, nil, err
	}
	spec := &bridgeSpec{cursorParam: o.cursorParam, cursorField: o.cursorField,
		replayField: o.replayField, replayEvent: o.replayEvent, window: o.window}
	if len(o.events) > 0 {
		spec.events = map[string]bool{}
		for _, e := range o.events {
			spec.events[e] = true
		}
	}
	var start json.RawMessage
	if o.cursorStart != "" {
		// A JSON number or string is sent as it is; other text as a string.
		if _, raw, ok := cursorOf([]byte(`{"c":`+o.cursorStart+`}`), "c"); ok {
			start = raw
		} else {
			start, _ = json.Marshal(o.cursorStart)
		}
	}
	return spec, base, start, nil
}

// bridge is one bridge run.
type bridge struct {
	o       bridgeOpts
	spec    *bridgeSpec
	log     *slog.Logger
	q       *itemQueue
	topics  []*bridgeTopic
	byTopic map[string]*bridgeTopic
	d       *deliverer
}

func (b *bridge) run(ctx context.Context, cf *connFlags, sk sink) error {
	sup := newSupervisor(b.log)
	supDown := false
	defer func() {
		if !supDown {
			shutdown(sup)
		}
	}()
	ep, err := cf.endpoint(ctx, sup)
	if err != nil {
		return err
	}
	b.d = &deliverer{q: b.q, sink: sk, log: b.log, retryMin: b.o.retryMin, retryMax: b.o.retryMax,
		onDone: func(it bridgeItem) {
			t := b.byTopic[it.topic]
			t.mu.Lock()
			t.delivered++
			t.mu.Unlock()
		}}
	drain := make(chan struct{})
	dctx, cancelDeliver := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliver()
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		b.d.run(dctx, drain)
	}()

	remount := make(chan *mounted, len(b.topics))
	var mounts []*mounted
	for _, t := range b.topics {
		m, err := b.mount(ep, t, remount)
		if err != nil {
			close(drain)
			<-delivered
			return usageErr("topic %q: %v", t.topic, err)
		}
		mounts = append(mounts, m)
	}
	b.log.Info("phx bridge: forwarding", "topics", len(b.topics), "sink", sk.String())

	b.remountLoop(ctx, remount)

	for _, m := range mounts {
		m.stop()
	}
	shutdown(sup)
	supDown = true
	close(drain)
	timer := time.NewTimer(b.o.drainTimeout)
	defer timer.Stop()
	select {
	case <-delivered:
	case <-timer.C:
		cancelDeliver()
		<-delivered
	}
	return nil
}

// mounted is one topic's subscription, remounted when the server closes
// the channel.
type mounted struct {
	mu      sync.Mutex
	s       *supervisor.Session[struct{}]
	unsub   func()
	sub     func(supervisor.State[struct{}])
	pending atomic.Bool // a remount is asked for
}

func (m *mounted) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unsub != nil {
		m.unsub()
		m.unsub = nil
	}
}

// mount creates t's session: events and join replies go through t to the
// queue; the join params carry t's cursor.
func (b *bridge) mount(ep *supervisor.Endpoint, t *bridgeTopic, remount chan<- *mounted) (*mounted, error) {
	cfg := supervisor.Config[struct{}]{
		Topic: t.topic,
		Join:  func(*struct{}) any { return t.joinParams() },
		Connect: supervisor.Connect[struct{}]{
			Ok: supervisor.OnJoin(func(_ *struct{}, reply json.RawMessage) struct{} {
				t.joinReply(reply, b.q.Put)
				return struct{}{}
			}),
		},
		Unhandled: func(event string, payload json.RawMessage) { t.event(event, payload, b.q.Put) },
	}
	s, err := supervisor.NewSession(ep, cfg)
	if err != nil {
		return nil, err
	}
	m := &mounted{s: s}
	var lastErr atomic.Pointer[supervisor.Error] // subscriptions may overlap across a remount
	m.sub = func(st supervisor.State[struct{}]) {
		prev := lastErr.Swap(st.Error)
		if st.Status != supervisor.Failed || st.Error == nil || st.Error == prev {
			return
		}
		switch {
		case st.Error.Kind == supervisor.KindClosed:
			b.log.Warn("phx bridge: the server closed the channel; rejoining in 1s", "topic", t.topic)
			if !m.pending.Swap(true) {
				remount <- m // room for one per topic: never blocks
			}
		case st.Error.Kind == supervisor.KindConnectError && reasonOf(st.Error) == "unmatched topic":
			b.log.Error("phx bridge: the server has no channel for this topic", "topic", t.topic)
		}
	}
	m.unsub = s.Subscribe(m.sub)
	return m, nil
}

// remountLoop rejoins, 1 s later, the topics whose channel the server
// closed, until ctx ends; it returns when every remount has.
func (b *bridge) remountLoop(ctx context.Context, remount <-chan *mounted) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-remount:
			wg.Go(func() {
				timer := time.NewTimer(time.Second)
				defer timer.Stop()
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				m.mu.Lock()
				defer m.mu.Unlock()
				m.pending.Store(false)
				if m.unsub != nil {
					m.unsub()
					m.unsub = m.s.Subscribe(m.sub)
				}
			})
		}
	}
}

type bridgeTopicReport struct {
	Forwarded  int64           `json:"forwarded"`
	Replayed   int64           `json:"replayed"`
	Duplicates int64           `json:"duplicates"`
	LastCursor json.RawMessage `json:"last_cursor"`
}

type bridgeReport struct {
	Sink        string                       `json:"sink"`
	Forwarded   int64                        `json:"forwarded"`
	Replayed    int64                        `json:"replayed"`
	Duplicates  int64                        `json:"duplicates"`
	Undelivered int                          `json:"undelivered"`
	SinkRetries int64                        `json:"sink_retries"`
	Topics      map[string]bridgeTopicReport `json:"topics"`
}

// report prints what was forwarded.
func (b *bridge) report(w io.Writer, asJSON bool, sk sink) {
	r := bridgeReport{Sink: sk.String(), Undelivered: b.q.Len(), SinkRetries: b.d.retries, Topics: map[string]bridgeTopicReport{}}
	for _, t := range b.topics {
		t.mu.Lock()
		tr := bridgeTopicReport{Forwarded: t.delivered, Replayed: t.replayed, Duplicates: t.duplicates, LastCursor: t.last}
		t.mu.Unlock()
		if tr.LastCursor == nil {
			tr.LastCursor = json.RawMessage("null")
		}
		r.Topics[t.topic] = tr
		r.Forwarded += tr.Forwarded
		r.Replayed += tr.Replayed
		r.Duplicates += tr.Duplicates
	}
	if asJSON {
		line, _ := json.Marshal(r)
		fmt.Fprintf(w, "%s\n", line)
		return
	}
	fmt.Fprintf(w, "phx bridge: forwarded %d events to %s (%d replayed from join replies), skipped %d duplicates, %d undelivered, %d sink retries\n",
		r.Forwarded, r.Sink, r.Replayed, r.Duplicates, r.Undelivered, r.SinkRetries)
	for _, name := range slices.Sorted(maps.Keys(r.Topics)) {
		tr := r.Topics[name]
		fmt.Fprintf(w, "  %-24s forwarded %d, replayed %d, duplicates %d, last cursor %s\n",
			name, tr.Forwarded, tr.Replayed, tr.Duplicates, tr.LastCursor)
	}
}
