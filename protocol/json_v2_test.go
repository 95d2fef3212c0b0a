package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// spec: W2, W3 — every vsn 2.0.0 text frame a real Phoenix server and its
// client exchanged decodes, and re-encodes to the same JSON value.
func TestDecodeTextTranscripts(t *testing.T) {
	var decoded, rejected, in, out int
	for _, wl := range loadTranscripts(t) {
		if wl.Binary {
			continue
		}
		data := []byte(wl.Frame)
		if wl.isV1File && len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '{' {
			continue // vsn 1.0.0 objects: see TestDecodeV1Transcript
		}
		f, err := DecodeText(data)
		if !stdlibV2Valid(data) {
			// Only malformed_frame.jsonl holds frames that are not valid
			// vsn 2.0.0, some of them echoed back by the server (numeric
			// refs or topic).
			if wl.File != "malformed_frame.jsonl" {
				t.Errorf("%s:%d: unexpected invalid frame %q", wl.File, wl.Line, wl.Frame)
			}
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Errorf("%s:%d: DecodeText(%q) = %v, want *DecodeError", wl.File, wl.Line, wl.Frame, err)
			}
			rejected++
			continue
		}
		if err != nil {
			t.Errorf("%s:%d: DecodeText(%q): %v", wl.File, wl.Line, wl.Frame, err)
			continue
		}
		decoded++
		if wl.Dir == "in" {
			in++
		} else {
			out++
		}
		if f.Binary || f.Status != "" {
			t.Errorf("%s:%d: text frame decoded with Binary=%v Status=%q", wl.File, wl.Line, f.Binary, f.Status)
		}
		if !json.Valid(f.Payload) {
			t.Errorf("%s:%d: payload %q is not valid JSON", wl.File, wl.Line, f.Payload)
		}
		// The oracle: the same frame read by encoding/json.
		var want []any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		checkRef(t, wl, "join_ref", f.JoinRef, want[0])
		checkRef(t, wl, "ref", f.Ref, want[1])
		if f.Topic != want[2] || f.Event != want[3] {
			t.Errorf("%s:%d: topic/event %q/%q, want %v/%v", wl.File, wl.Line, f.Topic, f.Event, want[2], want[3])
		}
		re := AppendText(nil, &f)
		orig := data
		if len(want) > 5 {
			// Phoenix ignores extra elements; AppendText writes five.
			trimmed, _ := json.Marshal(want[:5])
			orig = trimmed
		}
		if !jsonEqual(t, re, orig) {
			t.Errorf("%s:%d: re-encoded\n %s\nwant JSON-equal to\n %s", wl.File, wl.Line, re, orig)
		}
		if f.IsReply() {
			r, err := f.Reply()
			if err != nil {
				t.Errorf("%s:%d: Reply(): %v", wl.File, wl.Line, err)
				continue
			}
			var wantReply struct {
				Status   string          `json:"status"`
				Response json.RawMessage `json:"response"`
			}
			if err := json.Unmarshal(f.Payload, &wantReply); err != nil {
				t.Fatal(err)
			}
			if r.Status != wantReply.Status || r.OK() != (wantReply.Status == StatusOK) {
				t.Errorf("%s:%d: reply status %q, want %q", wl.File, wl.Line, r.Status, wantReply.Status)
			}
			if !jsonEqual(t, r.Response, wantReply.Response) {
				t.Errorf("%s:%d: reply response %s, want %s", wl.File, wl.Line, r.Response, wantReply.Response)
			}
		}
	}
	// The transcripts hold ~2300 frames both ways and 11 invalid ones; a
	// loader bug that skipped them must fail here.
	if decoded < 2000 || in < 1000 || out < 500 {
		t.Errorf("decoded only %d frames (%d in, %d out)", decoded, in, out)
	}
	if rejected != 11 {
		t.Errorf("rejected %d invalid frames, want the 11 of malformed_frame.jsonl", rejected)
	}
}

func checkRef(t *testing.T, wl wireLine, name, got string, want any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		if got != "" {
			t.Errorf("%s:%d: %s = %q, want \"\" for null", wl.File, wl.Line, name, got)
		}
	case string:
		if got != w {
			t.Errorf("%s:%d: %s = %q, want %q", wl.File, wl.Line, name, got, w)
		}
	}
}

// spec: W2 — null join_ref and ref read as "" and "" is written back as null.
func TestNullRefs(t *testing.T) {
	f, err := DecodeText([]byte(`[null,null,"chat:bcast","new_msg",{"body":"hi"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if f.JoinRef != "" || f.Ref != "" || f.Topic != "chat:bcast" || f.Event != "new_msg" || string(f.Payload) != `{"body":"hi"}` {
		t.Fatalf("got %+v", f)
	}
	if got := string(AppendText(nil, &f)); got != `[null,null,"chat:bcast","new_msg",{"body":"hi"}]` {
		t.Fatalf("AppendText = %s", got)
	}
	hb := Frame{Ref: "7", Topic: TopicPhoenix, Event: EventHeartbeat}
	if got := string(AppendText(nil, &hb)); got != `[null,"7","phoenix","heartbeat",{}]` {
		t.Fatalf("heartbeat = %s, want the official client's frame with {} payload", got)
	}
	f, err = DecodeText([]byte(` [ "1" , null , "t" , "e" , [ ] ] `))
	if err != nil || f.JoinRef != "1" || f.Ref != "" || string(f.Payload) != "[ ]" {
		t.Fatalf("white space around elements: %+v, %v", f, err)
	}
}

// spec: W2 — AppendText appends to dst and escapes what JSON needs escaped.
func TestAppendTextEscapes(t *testing.T) {
	f := Frame{JoinRef: "1", Ref: "2", Topic: "room:\"q\"\\\n\u2028é", Event: "ev\x01", Payload: []byte(`"x"`)}
	out := AppendText([]byte("prefix"), &f)
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("dst not kept: %s", out)
	}
	back, err := DecodeText(out[len("prefix"):])
	if err != nil {
		t.Fatal(err)
	}
	if back.Topic != f.Topic || back.Event != f.Event || back.JoinRef != "1" || back.Ref != "2" || string(back.Payload) != `"x"` {
		t.Fatalf("round trip: %+v", back)
	}
	var std []any
	if err := json.Unmarshal(out[len("prefix"):], &std); err != nil || std[2] != f.Topic || std[3] != f.Event {
		t.Fatalf("encoding/json reads %v, %v", std, err)
	}
}

// spec: W3 — the reserved names are Phoenix's.
func TestReservedNames(t *testing.T) {
	got := []string{EventJoin, EventLeave, EventReply, EventError, EventClose, EventHeartbeat, TopicPhoenix, StatusOK, StatusError}
	want := []string{"phx_join", "phx_leave", "phx_reply", "phx_error", "phx_close", "heartbeat", "phoenix", "ok", "error"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%q, want %q", got[i], want[i])
		}
	}
	f, err := DecodeText([]byte(`[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]`))
	if err != nil || !f.IsReply() || !f.IsHeartbeatReply() {
		t.Fatalf("heartbeat reply: %+v %v", f, err)
	}
	f, err = DecodeText([]byte(`["1","1","chat:crash","phx_error",{}]`))
	if err != nil || f.IsReply() || f.IsHeartbeatReply() || f.Ref != f.JoinRef {
		t.Fatalf("phx_error: %+v %v", f, err)
	}
	if _, err := f.Reply(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Reply() of a non-reply = %v, want ErrMalformed", err)
	}
}

// spec: W2 — SplitText keeps every element raw, so a server can echo odd
// values (Phoenix echoes numeric refs as numbers).
func TestSplitText(t *testing.T) {
	env, err := SplitText([]byte(`[1, 2.5e3 ,123,"e",{"a":[1]},"extra",{"x":null}]`))
	if err != nil {
		t.Fatal(err)
	}
	if string(env.JoinRef) != "1" || string(env.Ref) != "2.5e3" || string(env.Topic) != "123" || string(env.Event) != `"e"` ||
		string(env.Payload) != `{"a":[1]}` || env.Extra != 2 {
		t.Fatalf("got %+v", env)
	}
	if _, err := env.Frame(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Frame() of numeric refs = %v", err)
	}
	env, err = SplitText([]byte(`["1","1","chat:mal6","phx_join",{"user":"m4"},"extra"]`))
	if err != nil || env.Extra != 1 {
		t.Fatalf("6 elements: %+v %v", env, err)
	}
	f, err := env.Frame()
	if err != nil || f.Topic != "chat:mal6" || string(f.Payload) != `{"user":"m4"}` {
		t.Fatalf("6 elements: %+v %v", f, err)
	}
}

// spec: W2 — an empty payload (a binary frame's, say) is written as {} in
// every JSON form, never as nothing (the server would close the socket).
func TestEmptyPayloadWrittenAsObject(t *testing.T) {
	for _, p := range [][]byte{nil, {}} {
		f := Frame{Ref: "1", Topic: "t", Event: "e", Payload: p}
		if got := string(AppendText(nil, &f)); got != `[null,"1","t","e",{}]` {
			t.Errorf("AppendText(payload %#v) = %s", p, got)
		}
		if got := string(AppendV1(nil, &f)); got != `{"topic":"t","event":"e","payload":{},"ref":"1"}` {
			t.Errorf("AppendV1(payload %#v) = %s", p, got)
		}
		if got := string(AppendReplyPayload(nil, "ok", p)); got != `{"response":{},"status":"ok"}` {
			t.Errorf("AppendReplyPayload(%#v) = %s", p, got)
		}
	}
	bin, err := DecodeBinaryServer([]byte("\x02\x01\x01te"))
	if err != nil {
		t.Fatal(err)
	}
	bin.Binary = false
	if _, err := DecodeText(AppendText(nil, &bin)); err != nil {
		t.Errorf("binary frame re-sent as text: %v", err)
	}
}

// spec: W2 — decoded strings do not alias the frame, whether they were
// escaped, plain or well-known names.
func TestDecodeTextStringsOwnMemory(t *testing.T) {
	data := []byte(`["12","34","chat:lobby","phx_reply",{}]`)
	f, err := DecodeText(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if data[i] != '[' && data[i] != ']' && data[i] != '{' && data[i] != '}' && data[i] != ',' && data[i] != '"' {
			data[i] = 'X'
		}
	}
	if f.JoinRef != "12" || f.Ref != "34" || f.Topic != "chat:lobby" || f.Event != EventReply {
		t.Fatalf("strings changed with the buffer: %+v", f)
	}
	long := strings.Repeat("t", 300) // past the stack buffer
	f, err = DecodeText([]byte(`["1","2","` + long + `","ev\u00e9",{}]`))
	if err != nil || f.Topic != long || f.Event != "evé" || f.JoinRef != "1" || f.Ref != "2" {
		t.Fatalf("long topic: %+v %v", f, err)
	}
}
