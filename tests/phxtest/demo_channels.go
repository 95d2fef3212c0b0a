package phxtest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Demo app topics with a behaviour of their own.
const (
	TopicForbidden = "chat:forbidden" // join refused: {"reason":"unauthorized"}
	TopicSlow      = "chat:slow"      // join takes SlowJoin
	TopicCrashJoin = "chat:crashjoin" // join crashes: "join crashed"
	// SlowJoin is how long joining TopicSlow takes.
	SlowJoin = 12 * time.Second
)

// maxDemoN caps the n of broadcast_n, push_n and flood.
const maxDemoN = 10_000_000

var (
	okEmpty      = Payload{}
	emptyMessage = JSON(map[string]string{"reason": "empty_message"})
	notFound     = JSON(map[string]string{"reason": "not_found"})
	unauthorized = JSON(map[string]string{"reason": "unauthorized"})
	stopping     = JSON(map[string]bool{"stopping": true})
)

// demoParams reads the JSON object payload leniently: a payload that is
// not an object (a string, an array, binary data) reads as {}.
type demoParams struct {
	User   string          `json:"user"`
	LastID json.RawMessage `json:"last_id"`
	Body   json.RawMessage `json:"body"`
	ID     json.RawMessage `json:"id"`
	N      json.Number     `json:"n"`
	Size   json.Number     `json:"size"`
	MS     json.Number     `json:"ms"`
	Data   string          `json:"data"`
}

func readParams(p Payload) demoParams {
	var d demoParams
	if !p.binary {
		_ = json.Unmarshal(p.wire(), &d)
	}
	return d
}

// str reads a JSON string, or a number as its text; "" otherwise.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// strOnly reads a JSON string; "" for anything else.
func strOnly(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func num(n json.Number, def int) int {
	v, err := strconv.Atoi(n.String())
	if err != nil || v < 0 {
		return def
	}
	return min(v, maxDemoN)
}

// chatChannel is the demo app's chat:* channel.
type chatChannel struct{ d *Demo }

func (c *chatChannel) Join(topic string, p Payload, s *ChannelSocket) (Payload, error) {
	switch topic {
	case TopicForbidden:
		return Payload{}, Refuse(unauthorized)
	case TopicCrashJoin:
		panic("chat:crashjoin: join crashes on purpose")
	case TopicSlow:
		s.Sleep(SlowJoin)
	}
	params := readParams(p)
	if params.User != "" {
		user := params.User
		_ = s.Send(func(s *ChannelSocket) {
			_ = s.Track(user, map[string]any{"online_at": time.Now().Unix()})
			_ = s.Push("presence_state", s.srv.PresenceState(s.topic))
		})
	}
	return JSON(map[string][]Message{"messages": c.d.after(topic, str(params.LastID))}), nil
}

func (c *chatChannel) HandleIn(event string, p Payload, s *ChannelSocket) Result {
	params := readParams(p)
	switch event {
	case "new_msg":
		body := strings.TrimSpace(strOnly(params.Body))
		if body == "" {
			return ReplyError(emptyMessage)
		}
		_ = s.Broadcast("new_msg", JSON(c.d.Post(s.topic, body)))
		return Reply(okEmpty)
	case "message_updated":
		body := strings.TrimSpace(strOnly(params.Body))
		if body == "" {
			return ReplyError(emptyMessage)
		}
		m, ok := c.d.Update(s.topic, str(params.ID), body)
		if !ok {
			return ReplyError(notFound)
		}
		_ = s.Broadcast("message_updated", JSON(m))
		return Reply(okEmpty)
	case "message_deleted":
		id := str(params.ID)
		if !c.d.Delete(s.topic, id) {
			return ReplyError(notFound)
		}
		_ = s.Broadcast("message_deleted", JSON(map[string]string{"id": id}))
		return Reply(okEmpty)
	case "crash":
		panic("chat: crash requested")
	case "stop":
		return Stop(ReasonNormal)
	case "stop_reply":
		return Reply(stopping).AndStop(ReasonNormal)
	case "slow_echo":
		if !s.Sleep(time.Duration(num(params.MS, 500)) * time.Millisecond) {
			return NoReply()
		}
		return Reply(p)
	case "broadcast_n", "push_n":
		n := num(params.N, 1)
		for i := 1; i <= n; i++ {
			tick := Payload{data: append(strconv.AppendInt([]byte(`{"i":`), int64(i), 10), '}')}
			if event == "push_n" {
				_ = s.Push("tick", tick)
			} else {
				_ = s.Broadcast("tick", tick)
			}
		}
		return Reply(JSON(map[string]int{"n": n}))
	case "push_binary":
		_ = s.Push("binary_data", Binary([]byte(params.Data)))
		return Reply(okEmpty)
	case "broadcast_binary":
		_ = s.Broadcast("binary_data", Binary([]byte(params.Data)))
		return Reply(okEmpty)
	case "reply_binary":
		return Reply(Binary([]byte(params.Data)))
	case "flood":
		return flood(s, num(params.N, 1), num(params.Size, 0))
	}
	return commonEvent(event, p)
}

func (c *chatChannel) Terminate(string, *ChannelSocket) {}

// flood broadcasts n "flood" events whose body has size bytes.
func flood(s *ChannelSocket, n, size int) Result {
	body := strings.Repeat("x", min(size, 64<<20))
	for i := 1; i <= n; i++ {
		b := make([]byte, 0, len(body)+32)
		b = append(b, `{"body":"`...)
		b = append(b, body...)
		b = append(b, `","i":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '}')
		_ = s.Broadcast("flood", Payload{data: b})
	}
	return Reply(JSON(map[string]int{"n": n}))
}

// commonEvent answers the events every demo channel knows.
func commonEvent(event string, p Payload) Result {
	switch event {
	case "echo":
		return Reply(p)
	case "noreply":
		return NoReply()
	}
	return ReplyError(JSON(map[string]string{"event": event, "reason": "unknown_event"}))
}

// roomChannel is the demo app's room:* channel.
type roomChannel struct{}

func (roomChannel) Join(string, Payload, *ChannelSocket) (Payload, error) { return okEmpty, nil }

func (roomChannel) HandleIn(event string, p Payload, _ *ChannelSocket) Result {
	return commonEvent(event, p)
}

func (roomChannel) Terminate(string, *ChannelSocket) {}
