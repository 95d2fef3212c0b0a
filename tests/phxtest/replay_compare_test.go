package phxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// wireFrame is a websocket message a replay client received, or one the
// transcript says the real server sent.
type wireFrame struct {
	binary bool
	data   []byte
	line   int // transcript line of an expected frame

	val   any // parsed JSON of a text frame (nil when it does not parse)
	topic string
	event string
	ref   string // the ref when it is a string
	// payload is the payload element (V2) or "payload" member (V1).
	payload any
}

func newWireFrame(data []byte, binary bool, line int) *wireFrame {
	f := &wireFrame{binary: binary, data: data, line: line}
	if binary {
		return f
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&f.val) != nil {
		f.val = nil
		return f
	}
	switch v := f.val.(type) {
	case []any:
		if len(v) >= 5 {
			f.ref, _ = v[1].(string)
			f.topic, _ = v[2].(string)
			f.event, _ = v[3].(string)
			f.payload = v[4]
		}
	case map[string]any:
		f.ref, _ = v["ref"].(string)
		f.topic, _ = v["topic"].(string)
		f.event, _ = v["event"].(string)
		f.payload = v["payload"]
	}
	return f
}

func (f *wireFrame) String() string {
	if f.binary {
		return fmt.Sprintf("binary %x", f.data)
	}
	return string(f.data)
}

// replyStatus returns the status of a JSON phx_reply.
func (f *wireFrame) replyStatus() string {
	if f.event != "phx_reply" {
		return ""
	}
	m, _ := f.payload.(map[string]any)
	s, _ := m["status"].(string)
	return s
}

// presenceRefs returns the phx_refs of the metas under "joins" or "leaves"
// of a presence_diff.
func (f *wireFrame) presenceRefs(side string) []string {
	if f.event != "presence_diff" {
		return nil
	}
	m, _ := f.payload.(map[string]any)
	keys, _ := m[side].(map[string]any)
	var refs []string
	for _, k := range keys {
		km, _ := k.(map[string]any)
		metas, _ := km["metas"].([]any)
		for _, meta := range metas {
			mm, _ := meta.(map[string]any)
			if r, ok := mm["phx_ref"].(string); ok {
				refs = append(refs, r)
			}
		}
	}
	sort.Strings(refs)
	return refs
}

// isLeaveDiff reports whether f is a presence_diff with leaves only.
func (f *wireFrame) isLeaveDiff() bool {
	return f.event == "presence_diff" && len(f.presenceRefs("joins")) == 0 && len(f.presenceRefs("leaves")) > 0
}

// matcher compares frames while ignoring generated values: message ids and
// presence phx_refs must map one to one between the transcript and the
// replay (the same id wherever the real server repeated it), insertedAt and
// online_at only need the right type. Everything else (refs, join_refs,
// topics, events, payload structure and values) must be equal.
type matcher struct {
	fwd map[string]map[string]string // kind -> transcript value -> replay value
	rev map[string]map[string]string
}

func newMatcher() *matcher {
	return &matcher{fwd: map[string]map[string]string{}, rev: map[string]map[string]string{}}
}

type binding struct{ kind, exp, got string }

// actual returns the replay's value for a transcript id of kind, if known.
func (m *matcher) actual(kind, exp string) (string, bool) {
	v, ok := m.fwd[kind][exp]
	return v, ok
}

// match compares an expected frame with a received one; on success it
// keeps the id bindings it learnt. why says what differs.
func (m *matcher) match(exp, got *wireFrame) (ok bool, why string) {
	if exp.binary != got.binary {
		return false, "opcode differs (binary vs text)"
	}
	if exp.binary || exp.val == nil {
		if bytes.Equal(exp.data, got.data) {
			return true, ""
		}
		return false, "bytes differ"
	}
	if got.val == nil {
		return false, "received frame is not JSON"
	}
	var tx []binding
	if ok, why := m.eq(exp.val, got.val, "", "$", &tx); !ok {
		return false, why
	}
	for _, b := range tx {
		if m.fwd[b.kind] == nil {
			m.fwd[b.kind], m.rev[b.kind] = map[string]string{}, map[string]string{}
		}
		m.fwd[b.kind][b.exp], m.rev[b.kind][b.got] = b.got, b.exp
	}
	return true, ""
}

func (m *matcher) bind(kind, e, g string, tx *[]binding) bool {
	if v, ok := m.fwd[kind][e]; ok {
		return v == g
	}
	if v, ok := m.rev[kind][g]; ok {
		return v == e
	}
	for _, b := range *tx {
		if b.kind == kind && (b.exp == e || b.got == g) {
			return b.exp == e && b.got == g
		}
	}
	*tx = append(*tx, binding{kind, e, g})
	return true
}

func (m *matcher) eq(e, g any, key, path string, tx *[]binding) (bool, string) {
	switch key {
	case "insertedAt":
		_, es := e.(string)
		_, gs := g.(string)
		if es && gs {
			return true, ""
		}
	case "online_at":
		_, en := e.(json.Number)
		_, gn := g.(json.Number)
		if en && gn {
			return true, ""
		}
	case "phx_ref", "id":
		es, eok := e.(string)
		gs, gok := g.(string)
		if eok && gok {
			if m.bind(key, es, gs, tx) {
				return true, ""
			}
			return false, fmt.Sprintf("%s: generated %s %q was matched with another value (got %q)", path, key, es, gs)
		}
	}
	switch ev := e.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return false, fmt.Sprintf("%s: expected an object, got %v", path, g)
		}
		if len(ev) != len(gv) {
			return false, fmt.Sprintf("%s: expected keys %v, got %v", path, keysOf(ev), keysOf(gv))
		}
		for _, k := range keysOf(ev) {
			gval, ok := gv[k]
			if !ok {
				return false, fmt.Sprintf("%s: missing key %q", path, k)
			}
			if ok, why := m.eq(ev[k], gval, k, path+"."+k, tx); !ok {
				return false, why
			}
		}
		return true, ""
	case []any:
		gv, ok := g.([]any)
		if !ok || len(ev) != len(gv) {
			return false, fmt.Sprintf("%s: expected %d elements, got %v", path, len(ev), g)
		}
		for i := range ev {
			if ok, why := m.eq(ev[i], gv[i], "", fmt.Sprintf("%s[%d]", path, i), tx); !ok {
				return false, why
			}
		}
		return true, ""
	}
	if reflect.DeepEqual(e, g) {
		return true, ""
	}
	return false, fmt.Sprintf("%s: expected %v, got %v", path, e, g)
}

func keysOf(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stream is one connection's expected and received frames, aligned as they
// come.
type stream struct {
	name   string
	exp    []*wireFrame
	got    []*wireFrame
	i, j   int
	failed bool
	notes  []string // frames accepted on one side only, and why

	joinsSent map[string]bool // topic+"\x00"+ref of every phx_join sent
}

func newStream(name string) *stream {
	return &stream{name: name, joinsSent: map[string]bool{}}
}

// ownLeave reports whether frames[k] is the leave diff of a presence this
// connection tracked itself: one joined in the first presence_diff after
// one of its own join replies.
//
// Phoenix delivers such a diff after the channel's phx_close or phx_error,
// or not at all, depending on whether PubSub has dropped the dead channel's
// subscription yet: leave.jsonl has it, while channel_crash, server_stop,
// rejoin_with_last_id, presence_state_diff and the second duplicate join of
// duplicate_join.jsonl do not. So on either side it is optional.
func (s *stream) ownLeave(frames []*wireFrame, k int) bool {
	f := frames[k]
	if !f.isLeaveDiff() {
		return false
	}
	own := map[string]bool{}
	pending := map[string]bool{}
	for _, g := range frames[:k] {
		switch {
		case g.replyStatus() == "ok" && s.joinsSent[g.topic+"\x00"+g.ref]:
			pending[g.topic] = true
		case g.event == "presence_diff" && pending[g.topic] && len(g.presenceRefs("joins")) > 0:
			for _, r := range g.presenceRefs("joins") {
				own[r] = true
			}
			pending[g.topic] = false
		}
	}
	for _, r := range f.presenceRefs("leaves") {
		if !own[r] {
			return false
		}
	}
	return true
}

const ownLeaveWhy = "the connection's own presence leave, which Phoenix delivers after phx_close or not at all"

// align matches expected and received frames as far as both go; final
// also requires both to be used up. It returns problems found.
func (s *stream) align(m *matcher, final bool) []string {
	if s.failed {
		return nil
	}
	for s.i < len(s.exp) && s.j < len(s.got) {
		ok, why := m.match(s.exp[s.i], s.got[s.j])
		switch {
		case ok:
			s.i++
			s.j++
		case s.ownLeave(s.got, s.j):
			s.note("received, not in the transcript", s.got[s.j], ownLeaveWhy)
			s.j++
		case s.ownLeave(s.exp, s.i):
			s.note("in the transcript, not received", s.exp[s.i], ownLeaveWhy)
			s.i++
		default:
			s.failed = true
			return []string{fmt.Sprintf("conn %q: frame %d differs from transcript line %d: %s\n  expected: %s\n  received: %s",
				s.name, s.j+1, s.exp[s.i].line, why, s.exp[s.i], s.got[s.j])}
		}
	}
	if !final {
		return nil
	}
	var problems []string
	for ; s.j < len(s.got); s.j++ {
		switch {
		case s.ownLeave(s.got, s.j):
			s.note("received, not in the transcript", s.got[s.j], ownLeaveWhy)
		case s.got[s.j].isLeaveDiff():
			// binary_frames.jsonl: the client closed right after the other
			// connection, before the server's leave diff reached it.
			s.note("received, not in the transcript", s.got[s.j], "a presence leave after the transcript's last frame, lost there to the client's close")
		default:
			problems = append(problems, fmt.Sprintf("conn %q: unexpected frame %d (the transcript has no more): %s", s.name, s.j+1, s.got[s.j]))
		}
	}
	for ; s.i < len(s.exp); s.i++ {
		if s.ownLeave(s.exp, s.i) {
			s.note("in the transcript, not received", s.exp[s.i], ownLeaveWhy)
			continue
		}
		problems = append(problems, fmt.Sprintf("conn %q: missing frame of transcript line %d: %s", s.name, s.exp[s.i].line, s.exp[s.i]))
	}
	if len(problems) > 0 {
		s.failed = true
	}
	return problems
}

func (s *stream) note(side string, f *wireFrame, why string) {
	s.notes = append(s.notes, fmt.Sprintf("conn %q: accepted a frame %s (%s): %s", s.name, side, why, f))
}

// equalJSONText compares two JSON documents structurally (for HTTP bodies).
func equalJSONText(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return reflect.DeepEqual(va, vb)
}
