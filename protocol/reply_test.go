package protocol

import (
	"errors"
	"testing"
)

// spec: W2, W3 — reply payloads as the server writes them.
func TestParseReply(t *testing.T) {
	tests := []struct {
		payload  string
		status   string
		response string
		reason   string
	}{
		{`{"response":{},"status":"ok"}`, "ok", `{}`, ""},
		{`{"response":{"reason":"unmatched topic"},"status":"error"}`, "error", `{"reason":"unmatched topic"}`, ReasonUnmatchedTopic},
		{`{"response":{"reason":"too many channels joined"},"status":"error"}`, "error", `{"reason":"too many channels joined"}`, ReasonTooManyJoined},
		{`{"status":"error","response":{"reason":"join crashed"}}`, "error", `{"reason":"join crashed"}`, ReasonJoinCrashed},
		{`{"response":{"messages":[{"id":1,"reason":"nested, not ours"}]},"status":"ok"}`, "ok", `{"messages":[{"id":1,"reason":"nested, not ours"}]}`, ""},
		{`{"response":"just a string","status":"ok"}`, "ok", `"just a string"`, ""},
		{`{"response":[1,2,3],"status":"ok"}`, "ok", `[1,2,3]`, ""},
		{`{"response":null,"status":"ok"}`, "ok", `null`, ""},
		{`{"status":"ok"}`, "ok", `null`, ""}, // missing response reads as null
		{` { "status" : "error" , "response" : { "reason" : "caf\u00e9 \"x\"" } } `, "error", `{ "reason" : "caf\u00e9 \"x\"" }`, `café "x"`},
		{`{"response":{"reason":42},"status":"error"}`, "error", `{"reason":42}`, ""},
		{`{"response":{"reason":"a","reason":"b"},"status":"error"}`, "error", `{"reason":"a","reason":"b"}`, "b"}, // last wins, as encoding/json
		{`{"status":"ok","status":"error","response":1}`, "error", `1`, ""},                                        // last status wins, as encoding/json
	}
	for _, tt := range tests {
		r, err := ParseReply([]byte(tt.payload))
		if err != nil {
			t.Errorf("ParseReply(%s): %v", tt.payload, err)
			continue
		}
		if r.Status != tt.status || string(r.Response) != tt.response || r.Reason() != tt.reason || r.Binary {
			t.Errorf("ParseReply(%s) = {%q %s reason %q}, want {%q %s reason %q}",
				tt.payload, r.Status, r.Response, r.Reason(), tt.status, tt.response, tt.reason)
		}
		if r.OK() != (tt.status == StatusOK) {
			t.Errorf("ParseReply(%s).OK() = %v", tt.payload, r.OK())
		}
	}
}

// spec: W6 — a reply payload that is not {"status": string, ...} is a typed error.
func TestParseReplyMalformed(t *testing.T) {
	for _, p := range []string{
		``, `null`, `[]`, `"ok"`, `{}`, `{"response":{}}`, `{"status":1,"response":{}}`,
		`{"status":null}`, `{"status":"ok"`, `{"status":"ok"} x`, `{"status":"ok",}`, `{"status" "ok"}`,
		`{"status":"ok","response":{"a":}}`, `{"status":"o` + "\x01" + `k"}`,
	} {
		_, err := ParseReply([]byte(p))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReply(%q) = %v, want *DecodeError", p, err)
		}
	}
}

// spec: W2 — replies written in the key order Phoenix's Jason encoder uses.
func TestAppendReplyPayload(t *testing.T) {
	if got := string(AppendReplyPayload(nil, StatusOK, nil)); got != `{"response":{},"status":"ok"}` {
		t.Errorf("got %s", got)
	}
	got := AppendReplyPayload([]byte("x"), StatusError, []byte(`{"reason":"unmatched topic"}`))
	if string(got) != `x{"response":{"reason":"unmatched topic"},"status":"error"}` {
		t.Errorf("got %s", got)
	}
	r, err := ParseReply(got[1:])
	if err != nil || r.Reason() != ReasonUnmatchedTopic || r.OK() {
		t.Errorf("round trip: %+v %v", r, err)
	}
}

// spec: W4 — a binary reply's response is its raw payload.
func TestFrameReplyBinary(t *testing.T) {
	f, err := DecodeBinaryServer([]byte("\x01\x01\x01\x08\x02" + "12chat:binok" + "\x01\x02"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Reply()
	if err != nil || !r.Binary || !r.OK() || string(r.Response) != "\x01\x02" || r.Reason() != "" {
		t.Fatalf("Reply() = %+v, %v", r, err)
	}
	f.Status = StatusError
	if r, _ := f.Reply(); r.OK() || r.Status != StatusError {
		t.Fatalf("error status: %+v", r)
	}
}
