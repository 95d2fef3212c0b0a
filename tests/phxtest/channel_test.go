package phxtest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lifecycle records the Terminate reasons of a test channel.
type lifecycle struct {
	mu      sync.Mutex
	reasons []string
}

func (l *lifecycle) add(r string) {
	l.mu.Lock()
	l.reasons = append(l.reasons, r)
	l.mu.Unlock()
}

func (l *lifecycle) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reasons...)
}

// testChannel answers events named after Results.
func testChannel(l *lifecycle) func() Channel {
	return func() Channel {
		return ChannelFuncs{
			JoinFunc: func(topic string, p Payload, s *ChannelSocket) (Payload, error) {
				if err := s.Push("early", Payload{}); !errors.Is(err, ErrNotJoined) {
					return Payload{}, fmt.Errorf("push during join: %v", err)
				}
				switch topic {
				case "t:refuse":
					return Payload{}, Refuse(JSON(map[string]string{"reason": "nope"}))
				case "t:err":
					return Payload{}, errors.New("plain error")
				case "t:badreply":
					return JSON(func() {}), nil
				}
				_ = s.Send(func(s *ChannelSocket) { _ = s.Push("after_join", JSON(map[string]string{"jr": s.JoinRef()})) })
				s.Assign("n", 0)
				return JSON(map[string]string{"topic": s.Topic()}), nil
			},
			HandleInFunc: func(event string, p Payload, s *ChannelSocket) Result {
				switch event {
				case "count":
					v, _ := s.Assigned("n")
					n := v.(int) + 1
					s.Assign("n", n)
					return Reply(JSON(map[string]int{"n": n}))
				case "stop_normal":
					return Stop(ReasonNormal)
				case "stop_shutdown":
					return Reply(Payload{}).AndStop("shutdown:bye")
				case "stop_boom":
					return ReplyError(JSON(map[string]string{"r": "x"})).AndStop("boom")
				case "from":
					_ = s.BroadcastFrom("others", p)
					return Reply(Payload{})
				case "send_panic":
					_ = s.Send(func(*ChannelSocket) { panic("in send") })
					return NoReply()
				case "bin":
					if !p.IsBinary() {
						return ReplyError(Payload{})
					}
					return Reply(Binary(append([]byte("re:"), p.Bytes()...)))
				case "bad_payload":
					return Reply(JSON(make(chan int)))
				case "decode":
					var v struct{ A int }
					if err := p.Decode(&v); err != nil {
						return ReplyError(JSON(err.Error()))
					}
					return Reply(JSON(v.A))
				}
				return NoReply()
			},
			TerminateFunc: func(reason string, s *ChannelSocket) { l.add(s.Topic() + " " + reason) },
		}
	}
}

func channelTest(t *testing.T, f func(t *testing.T, srv *Server, l *lifecycle)) {
	l := &lifecycle{}
	synctest.Test(t, func(t *testing.T) {
		srv := NewPipeServer(WithChannel("t:*", testChannel(l)), WithChannel("exact", testChannel(l)))
		defer srv.Close()
		f(t, srv, l)
	})
}

// spec: W2 (join replies, refusals, Send after the join reply)
func TestChannelJoin(t *testing.T) {
	channelTest(t, func(t *testing.T, srv *Server, l *lifecycle) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["1","1","t:a","phx_join",{}]`)
		c.expect(`["1","1","t:a","phx_reply",{"response":{"topic":"t:a"},"status":"ok"}]`,
			`["1",null,"t:a","after_join",{"jr":"1"}]`)
		c.send(`["2","2","t:refuse","phx_join",{}]`)
		c.expect(`["2","2","t:refuse","phx_reply",{"response":{"reason":"nope"},"status":"error"}]`)
		c.send(`["3","3","t:err","phx_join",{}]`)
		c.expect(`["3","3","t:err","phx_reply",{"response":{"reason":"plain error"},"status":"error"}]`)
		c.send(`["4","4","t:badreply","phx_join",{}]`)
		c.expect(`["4","4","t:badreply","phx_reply",{"response":{},"status":"ok"}]`)
		// Routes: "exact" matches only itself; "t:*" needs the colon.
		c.send(`["5","5","exact","phx_join",{}]`)
		c.expect(`["5","5","exact","phx_reply",{"response":{"topic":"exact"},"status":"ok"}]`, `["5",null,"exact","after_join",{"jr":"5"}]`)
		c.send(`["6","6","exactly","phx_join",{}]`)
		c.expect(`[null,"6","exactly","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]`)
		c.send(`["7","7","t","phx_join",{}]`)
		c.expect(`[null,"7","t","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]`)
		if got := srv.Conns()[0].Topics(); fmt.Sprint(got) != "[exact t:a t:badreply]" {
			t.Fatalf("topics %v", got)
		}
	})
}

// spec: L2 (stop reasons: normal and shutdown give phx_close, others
// phx_error; Terminate gets the reason)
func TestChannelStop(t *testing.T) {
	channelTest(t, func(t *testing.T, srv *Server, l *lifecycle) {
		c := dial(t, srv, "vsn=2.0.0")
		want := map[string][]string{
			"stop_normal": {`["1","1","t:stop_normal","phx_close",{}]`},
			"stop_shutdown": {`["2","x","t:stop_shutdown","phx_reply",{"response":{},"status":"ok"}]`,
				`["2","2","t:stop_shutdown","phx_close",{}]`},
			"stop_boom": {`["3","x","t:stop_boom","phx_reply",{"response":{"r":"x"},"status":"error"}]`,
				`["3","3","t:stop_boom","phx_error",{}]`},
		}
		for i, ev := range []string{"stop_normal", "stop_shutdown", "stop_boom"} {
			jr := fmt.Sprint(i + 1)
			topic := "t:" + ev
			c.send(`["` + jr + `","` + jr + `","` + topic + `","phx_join",{}]`)
			c.recv()
			c.recv()
			c.send(`["` + jr + `","x","` + topic + `","` + ev + `",{}]`)
			c.expect(want[ev]...)
		}
		synctest.Wait()
		wantReasons := "[t:stop_normal normal t:stop_shutdown shutdown:bye t:stop_boom boom]"
		if got := fmt.Sprint(l.list()); got != wantReasons {
			t.Fatalf("terminate reasons %s, want %s", got, wantReasons)
		}
	})
}

// spec: M3, K6 (Terminate reasons for leave, duplicate join and close)
func TestChannelTerminateReasons(t *testing.T) {
	channelTest(t, func(t *testing.T, srv *Server, l *lifecycle) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["1","1","t:l","phx_join",{}]`)
		c.send(`["1","2","t:l","phx_leave",{}]`)
		c.expect(`["1","1","t:l","phx_reply",{"response":{"topic":"t:l"},"status":"ok"}]`,
			`["1",null,"t:l","after_join",{"jr":"1"}]`,
			`["1","2","t:l","phx_reply",{"response":{},"status":"ok"}]`,
			`["1","1","t:l","phx_close",{}]`)
		c.send(`["3","3","t:d","phx_join",{}]`)
		c.expect(`["3","3","t:d","phx_reply",{"response":{"topic":"t:d"},"status":"ok"}]`,
			`["3",null,"t:d","after_join",{"jr":"3"}]`)
		c.send(`["4","4","t:d","phx_join",{}]`)
		c.expect(`["4","4","t:d","phx_reply",{"response":{"topic":"t:d"},"status":"ok"}]`,
			`["3","3","t:d","phx_close",{}]`,
			`["4",null,"t:d","after_join",{"jr":"4"}]`)
		c.closeNow()
		synctest.Wait()
		want := "[t:l shutdown:left t:d shutdown:duplicate_join t:d shutdown:closed]"
		if got := fmt.Sprint(l.list()); got != want {
			t.Fatalf("terminate reasons %s, want %s", got, want)
		}
	})
}

// spec: V2 (a panic in Send crashes only that channel)
func TestChannelSendPanic(t *testing.T) {
	channelTest(t, func(t *testing.T, srv *Server, l *lifecycle) {
		c := dial(t, srv, "vsn=2.0.0")
		c.send(`["1","1","t:p","phx_join",{}]`)
		c.recv()
		c.recv()
		c.send(`["2","2","t:q","phx_join",{}]`)
		c.recv()
		c.recv()
		c.send(`["1","3","t:p","send_panic",{}]`)
		c.expect(`["1","1","t:p","phx_error",{}]`)
		c.send(`["2","4","t:q","count",{}]`)
		c.expect(`["2","4","t:q","phx_reply",{"response":{"n":1},"status":"ok"}]`)
	})
}

// spec: E1 (assigns per channel, BroadcastFrom skips the sender, binary
// payloads in and out, payload errors never panic)
func TestChannelSocketAPI(t *testing.T) {
	channelTest(t, func(t *testing.T, srv *Server, l *lifecycle) {
		a := dial(t, srv, "vsn=2.0.0")
		b := dial(t, srv, "vsn=2.0.0")
		a.send(`["1","1","t:x","phx_join",{}]`)
		a.recv()
		a.recv()
		b.send(`["1","1","t:x","phx_join",{}]`)
		b.recv()
		b.recv()
		a.send(`["1","2","t:x","count",{}]`)
		a.send(`["1","3","t:x","count",{}]`)
		b.send(`["1","2","t:x","count",{}]`)
		a.expect(`["1","2","t:x","phx_reply",{"response":{"n":1},"status":"ok"}]`, `["1","3","t:x","phx_reply",{"response":{"n":2},"status":"ok"}]`)
		b.expect(`["1","2","t:x","phx_reply",{"response":{"n":1},"status":"ok"}]`)
		a.send(`["1","4","t:x","from",{"hi":1}]`)
		a.expect(`["1","4","t:x","phx_reply",{"response":{},"status":"ok"}]`)
		b.expect(`[null,null,"t:x","others",{"hi":1}]`)
		a.quiet(time.Second)
		// binary push kind 0: join_ref "1", ref "5", topic "t:x", event "bin", payload 0102
		a.sendBinary([]byte("\x00\x01\x01\x03\x03" + "1" + "5" + "t:x" + "bin" + "\x01\x02"))
		a.expect("bin:" + "0101010302" + "3135743a78" + "6f6b" + "72653a0102")
		a.send(`["1","6","t:x","bin",{}]`)
		a.expect(`["1","6","t:x","phx_reply",{"response":{},"status":"error"}]`)
		a.send(`["1","7","t:x","bad_payload",{}]`)
		a.expect(`["1","7","t:x","phx_reply",{"response":{},"status":"ok"}]`)
		a.send(`["1","8","t:x","decode",{"A":7}]`)
		a.expect(`["1","8","t:x","phx_reply",{"response":7,"status":"ok"}]`)
		a.send(`["1","9","t:x","decode",[1]]`)
		f := a.recv()
		if !contains(f, `"status":"error"`, "cannot unmarshal") {
			t.Fatalf("decode error reply %s", f)
		}
		// Server-side pushes and broadcasts reach the right join_ref.
		must(t, srv.Conns()[1].Push("t:x", "direct", JSON(1)))
		b.expect(`["1",null,"t:x","direct",1]`)
		if err := srv.Conns()[1].Push("t:none", "direct", JSON(1)); !errors.Is(err, ErrNoTopic) {
			t.Fatalf("push to an unjoined topic: %v", err)
		}
		must(t, srv.Broadcast("t:x", "all", Binary([]byte{9})))
		a.expect("bin:" + "020303" + "743a78" + "616c6c" + "09")
		b.expect("bin:020303743a78616c6c09")
		if err := srv.Broadcast("t:x", "bad", RawJSON([]byte("{"))); !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("broadcast of invalid JSON: %v", err)
		}
	})
}

// Idle channels own no goroutine: a mailbox runs one only while it has
// messages.
func TestIdleChannelsOwnNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewPipeServer(WithDemoApp(), WithMaxChannels(1000))
		defer srv.Close()
		c := dial(t, srv, "vsn=2.0.0")
		synctest.Wait()
		before := runtime.NumGoroutine()
		for i := range 1000 {
			c.send(fmt.Sprintf(`["%d","%d","room:%d","phx_join",{}]`, i, i, i))
			c.recv()
		}
		for i := range 1000 {
			c.send(fmt.Sprintf(`["%d","e%d","room:%d","echo",{}]`, i, i, i))
			c.recv()
		}
		synctest.Wait()
		if after := runtime.NumGoroutine(); after-before > 5 {
			t.Fatalf("%d goroutines before 1000 joins, %d after", before, after)
		}
		if srv.ChannelCount() != 1000 {
			t.Fatalf("ChannelCount %d", srv.ChannelCount())
		}
	})
}

func TestPayload(t *testing.T) {
	if p := JSON(func() {}); p.Err() == nil {
		t.Fatal("JSON of a func: no error")
	}
	if p := RawJSON([]byte("nope")); !errors.Is(p.Err(), ErrInvalidJSON) {
		t.Fatalf("RawJSON of invalid JSON: %v", p.Err())
	}
	var v any
	if err := Binary([]byte{1}).Decode(&v); !errors.Is(err, ErrBinaryPayload) {
		t.Fatalf("Decode of binary: %v", err)
	}
	if s := (Payload{}).String(); s != "{}" || !(Payload{}).IsZero() {
		t.Fatalf("zero payload %q", s)
	}
	if s := Binary([]byte{1, 2}).String(); s != "<binary 2 bytes>" {
		t.Fatalf("binary String %q", s)
	}
	if f := JSON(map[string]int{"a": 1}).Field("a"); string(f) != "1" {
		t.Fatalf("Field %q", f)
	}
}
