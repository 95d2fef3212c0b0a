package chaos

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/faultproxy"
	"github.com/rvct/phoenix/tests/phxtest"
)

// Val is the value of a chaos session.
type Val struct {
	Epoch  int // the server epoch of the last join reply
	Joins  int // joins (and rejoins) normalised through Connect.Ok
	Events int // "tick" events reduced
	Last   int // Seq of the last tick
	// Hostile counts "hostile" events that decoded (the hostile mode's
	// large payloads; its malformed ones must not count).
	Hostile int
}

// joinReply is the chaos channel's join reply.
type joinReply struct {
	Epoch int `json:"epoch"`
}

// Tick is the payload of the "tick" event.
type Tick struct {
	Seq int    `json:"seq"`
	Pad string `json:"pad,omitempty"`
}

// Echo is the payload and ok reply of the "echo" call.
type Echo struct {
	ID  int    `json:"id"`
	Pad string `json:"pad,omitempty"`
}

// chaosConfig is a session of the chaos channel: the join reply is
// normalised into the value (Epoch from the server, Joins counted), "tick"
// events are reduced into it.
func chaosConfig(topic string) supervisor.Config[Val] {
	return supervisor.Config[Val]{
		Topic: topic,
		Value: &Val{},
		Connect: supervisor.Connect[Val]{
			Ok: supervisor.OnJoin(func(v *Val, r joinReply) Val {
				next := *v
				next.Epoch = r.Epoch
				next.Joins++
				return next
			}),
		},
		Events: supervisor.Events[Val]{
			"tick": supervisor.On(func(v *Val, p Tick) Val {
				next := *v
				next.Events++
				next.Last = p.Seq
				return next
			}),
			"hostile": supervisor.On(func(v *Val, p phxtest.HostileEventPayload) Val {
				next := *v
				next.Hostile += p.N
				return next
			}),
		},
	}
}

// app is the server side of the chaos scenarios: "chaos:*" channels whose
// join replies with the app's epoch (after JoinDelay), and whose events are
// "echo" (replies its payload), "hold" (never replies) and "tick_n"
// (broadcasts n ticks to the topic).
type app struct {
	epoch     atomic.Int64
	joinDelay atomic.Int64 // nanoseconds a join takes (on the server's transport)
	joins     atomic.Int64 // joins accepted
}

func (a *app) option() phxtest.Option {
	return phxtest.WithChannel("chaos:*", func() phxtest.Channel {
		return phxtest.ChannelFuncs{
			JoinFunc: func(_ string, _ phxtest.Payload, _ *phxtest.ChannelSocket) (phxtest.Payload, error) {
				if d := time.Duration(a.joinDelay.Load()); d > 0 {
					time.Sleep(d)
				}
				a.joins.Add(1)
				return phxtest.JSON(joinReply{Epoch: int(a.epoch.Load())}), nil
			},
			HandleInFunc: func(event string, p phxtest.Payload, s *phxtest.ChannelSocket) phxtest.Result {
				switch event {
				case "echo":
					return phxtest.Reply(p)
				case "hold":
					return phxtest.NoReply()
				case "tick_n":
					var req struct {
						N   int    `json:"n"`
						Pad string `json:"pad"`
					}
					_ = p.Decode(&req)
					for i := 1; i <= req.N; i++ {
						_ = s.Broadcast("tick", phxtest.JSON(Tick{Seq: i, Pad: req.Pad}))
					}
					return phxtest.Reply(phxtest.JSON(map[string]int{"n": req.N}))
				}
				return phxtest.ReplyError(phxtest.JSON(map[string]string{"reason": "unknown event " + event}))
			},
		}
	})
}

// env is one supervisor, one endpoint and one phxtest server running the
// chaos app.
type env struct {
	t     *testing.T
	app   *app
	srv   *phxtest.Server
	proxy *faultproxy.Proxy // nil unless the env has one
	sup   *supervisor.Supervisor
	ep    *supervisor.Endpoint
	url   string // the endpoint's URL
}

// pipeOpts configures newPipeEnv.
type pipeOpts struct {
	proxy bool     // dial through a fault proxy built in the bubble
	tap   *wiretap // dial through this tap (its dial is set here)
	srv   []phxtest.Option
	ep    []supervisor.EndpointOption
	sup   []supervisor.Option
}

// newPipeEnv builds an env on an in-memory server, for a synctest bubble.
func newPipeEnv(t *testing.T, o pipeOpts) *env {
	t.Helper()
	e := &env{t: t, app: &app{}}
	e.srv = phxtest.NewPipeServer(append([]phxtest.Option{e.app.option()}, o.srv...)...)
	dial := e.srv.DialContext
	if o.proxy {
		p, err := faultproxy.New(e.srv.Addr(), faultproxy.WithoutListener(), faultproxy.WithDialer(e.srv.DialContext))
		if err != nil {
			t.Fatal(err)
		}
		e.proxy = p
		dial = p.DialContext
	}
	if o.tap != nil {
		o.tap.dial = dial
		dial = o.tap.dialContext
	}
	e.start(e.srv.URL(), o.sup, append([]supervisor.EndpointOption{supervisor.WithNetDialContext(dial)}, o.ep...)...)
	return e
}

// newTCPEnv builds an env on loopback TCP, the client dialling the server
// through a fault proxy. Everything runs in real time.
func newTCPEnv(t *testing.T, o pipeOpts) *env {
	t.Helper()
	e := &env{t: t, app: &app{}}
	e.srv = phxtest.NewServer(append([]phxtest.Option{e.app.option()}, o.srv...)...)
	p, err := faultproxy.New(e.srv.Addr())
	if err != nil {
		e.srv.Close()
		t.Fatal(err)
	}
	e.proxy = p
	ep := o.ep
	if o.tap != nil {
		var d net.Dialer
		o.tap.dial = d.DialContext
		ep = append([]supervisor.EndpointOption{supervisor.WithNetDialContext(o.tap.dialContext)}, ep...)
	}
	e.start("ws://"+p.Addr()+"/socket", o.sup, ep...)
	return e
}

func (e *env) start(url string, supOpts []supervisor.Option, epOpts ...supervisor.EndpointOption) {
	e.sup = supervisor.New(supOpts...)
	e.url = url
	e.t.Cleanup(e.close)
	ep, err := e.sup.Endpoint(url, epOpts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.ep = ep
}

func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.sup.Shutdown(ctx); err != nil {
		e.t.Errorf("Shutdown: %v", err)
	}
	if e.proxy != nil {
		_ = e.proxy.Close()
	}
	e.srv.Close()
}

// session opens the chaos session of topic.
func (e *env) session(topic string) *supervisor.Session[Val] {
	e.t.Helper()
	s, err := supervisor.NewSession(e.ep, chaosConfig(topic))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// totals sums the endpoint's socket counters.
func (e *env) totals() supervisor.SocketStats { return e.sup.Stats().Totals() }

// topic names the i-th topic of a scenario.
func topic(prefix string, i int) string { return "chaos:" + prefix + ":" + strconv.Itoa(i) }

// echoCall declares the "echo" call on s.
func echoCall(s *supervisor.Session[Val], opts ...supervisor.ActionOption) *supervisor.Call[Echo, Echo, json.RawMessage, Val] {
	return supervisor.NewCall[Echo, Echo, json.RawMessage](s, "echo", "echo", opts...)
}

// holdCall declares the "hold" call (never answered) on s.
func holdCall(s *supervisor.Session[Val], opts ...supervisor.ActionOption) *supervisor.Call[Echo, Echo, json.RawMessage, Val] {
	return supervisor.NewCall[Echo, Echo, json.RawMessage](s, "hold", "hold", opts...)
}
