package tests

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// The seed's chat types.
type (
	ChatMessage struct {
		ID         string `json:"id"`
		Body       string `json:"body"`
		InsertedAt string `json:"insertedAt"`
	}
	ChatValue struct {
		Messages []ChatMessage `json:"messages"`
	}
	ChatJoinOk struct {
		Messages []ChatMessage `json:"messages"`
	}
	SendPayload struct {
		Body string `json:"body"`
	}
	SendOk    struct{}
	SendError struct {
		Reason string `json:"reason,omitempty"`
	}
)

// seedConfig is the lifecycle example's store: initial value, join reply
// normalization, new_msg events (the seed's "Lifecycle" section).
func seedConfig(topic string) supervisor.Config[ChatValue] {
	return supervisor.Config[ChatValue]{
		Topic: topic,
		Value: &ChatValue{Messages: []ChatMessage{}},
		Connect: supervisor.Connect[ChatValue]{
			Ok: supervisor.OnJoin(func(_ *ChatValue, r ChatJoinOk) ChatValue {
				return ChatValue{Messages: r.Messages}
			}),
		},
		Events: supervisor.Events[ChatValue]{
			"new_msg": supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
				var msgs []ChatMessage
				if v != nil {
					msgs = v.Messages
				}
				return ChatValue{Messages: append(append([]ChatMessage{}, msgs...), m)}
			}),
		},
	}
}

// env is one supervisor talking to one in-memory phxtest server, inside a
// synctest bubble: time is fake, so timeouts of seconds take no time.
type env struct {
	t   *testing.T
	srv *phxtest.Server
	rec *phxtest.Recorder
	sup *supervisor.Supervisor
	ep  *supervisor.Endpoint
}

func newEnv(t *testing.T, srvOpts []phxtest.Option, epOpts ...supervisor.EndpointOption) *env {
	t.Helper()
	e := &env{t: t, rec: phxtest.NewRecorder()}
	e.srv = phxtest.NewPipeServer(append([]phxtest.Option{phxtest.WithRecorder(e.rec)}, srvOpts...)...)
	e.sup = supervisor.New()
	ep, err := e.sup.Endpoint(e.srv.URL(), append([]supervisor.EndpointOption{supervisor.WithNetDialContext(e.srv.DialContext)}, epOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.ep = ep
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.sup.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		e.srv.Close()
	})
	return e
}

// demoEnv serves the demo app (the transcripts' chat:* and room:* channels).
func demoEnv(t *testing.T, epOpts ...supervisor.EndpointOption) *env {
	return newEnv(t, []phxtest.Option{phxtest.WithDemoApp()}, epOpts...)
}

// clientFrames lists the frames the client sent for topic (events in order).
func (e *env) clientFrames(topic string) []protocol.Frame {
	var out []protocol.Frame
	for _, r := range e.rec.Records() {
		if r.Dir != phxtest.FromClient {
			continue
		}
		if f, err := r.Frame(); err == nil && f.Topic == topic {
			out = append(out, f)
		}
	}
	return out
}

// clientEvents lists the events of clientFrames.
func (e *env) clientEvents(topic string) []string {
	var out []string
	for _, f := range e.clientFrames(topic) {
		out = append(out, f.Event)
	}
	return out
}

// states records every state a subscriber is handed.
type states[T any] struct {
	mu   sync.Mutex
	all  []supervisor.State[T]
	seen int
}

func (s *states[T]) add(st supervisor.State[T]) {
	s.mu.Lock()
	s.all = append(s.all, st)
	s.mu.Unlock()
}

// next waits until the bubble is idle and returns the states emitted since
// the last call.
func (s *states[T]) next() []supervisor.State[T] {
	synctest.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.all[s.seen:]
	s.seen = len(s.all)
	return out
}

// last returns the latest recorded state.
func (s *states[T]) last() supervisor.State[T] {
	synctest.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all[len(s.all)-1]
}

// buckets builds the three bucket maps of one action.
func buckets(action string, processing bool, errValue any, timeout bool) (map[string]bool, map[string]any, map[string]bool) {
	return map[string]bool{action: processing}, map[string]any{action: errValue}, map[string]bool{action: timeout}
}

// seedState builds an expected State with the send bucket.
func seedState(v *ChatValue, status supervisor.Status, serr *supervisor.Error, processing bool, errValue *SendError, timeout bool) supervisor.State[ChatValue] {
	var ev any
	if errValue != nil {
		ev = errValue
	}
	p, e, to := buckets("send", processing, ev, timeout)
	return supervisor.State[ChatValue]{Value: v, Status: status, Error: serr, Processing: p, Errors: e, Timeouts: to}
}

// goCall runs fn on its own goroutine (a call blocks until its reply) and
// returns a channel with its error.
func goCall(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}
