package actors

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
	"github.com/rvct/phoenix/protocol"
)

// benchServer is a loopback Phoenix-ish server for the benchmarks: it
// answers joins and heartbeats, replies "ok" at once to "echo", and on
// "flood" {"n":N} writes N broadcasts of a small chat message.
func benchServer(b testing.TB) *httptest.Server {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f, err := protocol.DecodeText(data)
			if err != nil {
				return
			}
			switch f.Event {
			case protocol.EventJoin, protocol.EventHeartbeat, "echo":
				reply := protocol.Frame{JoinRef: f.JoinRef, Ref: f.Ref, Topic: f.Topic, Event: protocol.EventReply,
					Payload: []byte(`{"status":"ok","response":{}}`)}
				if ws.WriteMessage(websocket.TextMessage, protocol.AppendText(nil, &reply)) != nil {
					return
				}
			case "flood":
				n, _ := strconv.Atoi(strings.Trim(string(f.Payload), `{}"n:`))
				// Raw server frames (unmasked), 256 per write, so the
				// server's syscalls do not dominate the client's cost.
				msg := protocol.AppendText(nil, &protocol.Frame{Topic: f.Topic, Event: "new_msg",
					Payload: []byte(`{"id":12345,"user":"alice","body":"hello, world"}`)})
				one := append([]byte{0x81, byte(len(msg))}, msg...)
				chunk := make([]byte, 0, 256*len(one))
				for range 256 {
					chunk = append(chunk, one...)
				}
				conn := ws.UnderlyingConn()
				for n > 0 {
					k := min(n, 256)
					if _, err := conn.Write(chunk[:k*len(one)]); err != nil {
						return
					}
					n -= k
				}
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchSession joins, then counts the frames of its topic, signalling done
// after want of them; on "echo" mode it pushes the next echo on each reply.
type benchSession struct {
	ep     *Endpoint
	topic  string
	link   Link
	gen    uint64
	jref   string
	joined chan struct{}
	done   chan struct{}
	want   int
	got    int
	echo   bool
}

type benchStart struct {
	n    int
	echo bool
}

func (s *benchSession) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.link, _ = s.ep.Place(s.topic, nil)
		if g := s.link.Attach(s.topic, ctx.Self()); g != 0 {
			s.join(ctx, g)
		}
	case *messages.SocketUp:
		s.join(ctx, m.Gen)
	case *benchStart:
		s.want, s.got, s.echo = m.n, 0, m.echo
		if m.echo {
			s.push(ctx, "echo")
		} else {
			s.push(ctx, "flood", `{"n":`+strconv.Itoa(m.n)+`}`)
		}
	case *messages.FrameIn:
		if m.Frame.Ref == s.jref && m.Frame.IsReply() {
			s.link.ReleaseJoin(m.Gen, ctx.Self())
			close(s.joined)
			return
		}
		s.got++
		if s.got == s.want {
			s.done <- struct{}{}
		} else if s.echo {
			s.push(ctx, "echo")
		}
	}
}

func (s *benchSession) join(ctx actor.Context, gen uint64) {
	s.gen = gen
	if s.link.AcquireJoin(gen, ctx.Self()) {
		s.jref = s.link.NextRef()
		s.link.SetJoinRef(s.topic, s.jref)
		_ = s.link.Send(gen, &protocol.Frame{JoinRef: s.jref, Ref: s.jref, Topic: s.topic, Event: protocol.EventJoin}, ctx.Self())
	}
}

func (s *benchSession) push(ctx actor.Context, event string, payload ...string) {
	f := &protocol.Frame{JoinRef: s.jref, Ref: s.link.NextRef(), Topic: s.topic, Event: event}
	if len(payload) > 0 {
		f.Payload = []byte(payload[0])
	}
	_ = s.link.Send(s.gen, f, ctx.Self())
}

func benchSetup(b testing.TB) (*System, *actor.PID, *benchSession) {
	srv := benchServer(b)
	sys := NewSystem(SystemConfig{})
	b.Cleanup(func() { _ = sys.Shutdown(context.Background()) })
	ep, err := sys.NewEndpoint(EndpointConfig{URL: srv.URL + "/socket"})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSession{ep: ep, topic: "room:bench", joined: make(chan struct{}), done: make(chan struct{}, 1)}
	pid, err := sys.SpawnSession(ep, s.topic, func() actor.Actor { return s })
	if err != nil {
		b.Fatal(err)
	}
	<-s.joined
	return sys, pid, s
}

// BenchmarkSocketFanIn: inbound broadcasts read, decoded, routed to one
// registered topic and delivered to its session's mailbox (per event).
func BenchmarkSocketFanIn(b *testing.B) {
	sys, pid, s := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	sys.Root().Send(pid, &benchStart{n: b.N})
	<-s.done
	reportCPU(b, cpu)
}

// BenchmarkSocketRoundTrip: a push from a session, the server's reply
// routed back to it (per round trip).
func BenchmarkSocketRoundTrip(b *testing.B) {
	sys, pid, s := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	sys.Root().Send(pid, &benchStart{n: b.N, echo: true})
	<-s.done
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time (client and server).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op: process CPU (client and loopback server) per op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// rawDial connects a bare gorilla client to the bench server.
func rawDial(b *testing.B) *websocket.Conn {
	srv := benchServer(b)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/socket/websocket?vsn=2.0.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	return ws
}

// BenchmarkRawGorillaFanIn is the floor for FanIn: a bare gorilla read
// loop reading the same broadcasts into a reused buffer, no decoding.
func BenchmarkRawGorillaFanIn(b *testing.B) {
	ws := rawDial(b)
	b.ReportAllocs()
	b.ResetTimer()
	flood := protocol.AppendText(nil, &protocol.Frame{Ref: "1", Topic: "room:bench", Event: "flood",
		Payload: []byte(`{"n":` + strconv.Itoa(b.N) + `}`)})
	if err := ws.WriteMessage(websocket.TextMessage, flood); err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime()
	defer reportCPU(b, cpu)
	buf := make([]byte, 0, 512)
	for range b.N {
		_, r, err := ws.NextReader()
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = readAll(r, buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawGorillaRoundTrip is the floor for RoundTrip: write a push,
// read its reply, with a bare gorilla connection.
func BenchmarkRawGorillaRoundTrip(b *testing.B) {
	ws := rawDial(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer reportCPU(b, cpu)
	for i := range b.N {
		msg := protocol.AppendText(nil, &protocol.Frame{Ref: strconv.Itoa(i), Topic: "room:bench", Event: "echo"})
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		_, r, err := ws.NextReader()
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r)
	}
}
