package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// addSeeds seeds f with every data frame of the transcripts (text and binary),
// the malformed table and a few hand-made frames.
func addSeeds(f *testing.F, extra ...string) {
	for _, wl := range loadTranscripts(f) {
		if wl.Binary {
			f.Add(wl.Bytes)
		} else {
			f.Add([]byte(wl.Frame))
		}
	}
	for _, m := range malformedText {
		if len(m.frame) < 1000 {
			f.Add([]byte(m.frame))
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkDecodeError fails unless err is a *DecodeError matching ErrMalformed.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) || de.Error() == "" {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
}

func sameFrame(a, b Frame) bool {
	return a.JoinRef == b.JoinRef && a.Ref == b.Ref && a.Topic == b.Topic && a.Event == b.Event &&
		a.Binary == b.Binary && a.Status == b.Status && bytes.Equal(a.Payload, b.Payload)
}

// spec: W2, W6 — DecodeText never panics, agrees with encoding/json, and a
// decoded frame re-encodes to itself.
func FuzzDecodeText(f *testing.F) {
	addSeeds(f, `[null,null,"t","e",{"a":[1,2,{"b":"\u00e9\ud83d\ude00"}]}]`, `["","","","",""]`, "[\"\xff\",null,\"t\",\"e\",0]")
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeText(data)
		if err != nil {
			checkDecodeError(t, err)
			if stdlibV2Valid(data) {
				t.Fatalf("DecodeText(%q): %v, but encoding/json reads a valid frame", data, err)
			}
			return
		}
		if !json.Valid(fr.Payload) || !json.Valid(data) {
			t.Fatalf("DecodeText(%q) accepted invalid JSON (payload %q)", data, fr.Payload)
		}
		if !stdlibV2Valid(data) {
			t.Fatalf("DecodeText(%q) accepted what encoding/json does not read as a frame", data)
		}
		// Elements stay raw: a number such as 1E700 fits no float64.
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			t.Fatal(err)
		}
		var std [4]string // null reads as ""
		for i := range std {
			if err := json.Unmarshal(elems[i], &std[i]); err != nil {
				t.Fatal(err)
			}
		}
		if fr.JoinRef != std[0] || fr.Ref != std[1] || fr.Topic != std[2] || fr.Event != std[3] {
			t.Fatalf("DecodeText(%q) = %q %q %q %q; encoding/json reads %q", data, fr.JoinRef, fr.Ref, fr.Topic, fr.Event, std)
		}
		re := AppendText(nil, &fr)
		back, err := DecodeText(re)
		if err != nil || !sameFrame(fr, back) {
			t.Fatalf("round trip of %q via %q: %+v, %v", data, re, back, err)
		}
		if fr.IsReply() {
			if r, err := fr.Reply(); err != nil {
				checkDecodeError(t, err)
			} else {
				_ = r.Reason()
			}
		}
	})
}

// spec: W4, W6 — DecodeBinaryServer never panics and round-trips.
func FuzzDecodeBinaryServer(f *testing.F) {
	addSeeds(f, "\x01\x00\x00\x00\x00", "\x02\x00\x00", "\x00\x00\x00\x00", "\x00\x01\x01\x09xtphx_reply")
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeBinaryServer(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !fr.Binary || (data[0] == KindReply && fr.Event != EventReply) || (data[0] != KindReply && fr.Status != "") {
			t.Fatalf("DecodeBinaryServer(%x) = %+v", data, fr)
		}
		re, err := AppendBinaryServer(nil, &fr)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", fr, err)
		}
		// The encoder picks the kind from the fields, so only frames whose
		// fields say their kind come back byte for byte.
		canonical := data[0] == KindReply ||
			(data[0] == KindBroadcast && fr.Event != EventReply) ||
			(data[0] == KindPush && fr.JoinRef != "" && fr.Event != EventReply)
		if canonical && !bytes.Equal(re, data) {
			t.Fatalf("re-encoded %x as %x", data, re)
		}
		back, err := DecodeBinaryServer(re)
		if err != nil || !sameFrame(fr, back) {
			t.Fatalf("round trip of %x via %x: %+v, %v", data, re, back, err)
		}
		if fr.IsReply() {
			if r, err := fr.Reply(); err != nil || !r.Binary || !bytes.Equal(r.Response, fr.Payload) {
				t.Fatalf("Reply() = %+v, %v", r, err)
			}
		}
	})
}

// spec: W4, W6 — DecodeBinaryPush never panics and re-encodes byte for byte.
func FuzzDecodeBinaryPush(f *testing.F) {
	addSeeds(f, "\x00\x00\x00\x00\x00", "\x00\x01\x01\x01\x01abcdpayload")
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeBinaryPush(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		re, err := AppendBinaryPush(nil, &fr)
		if err != nil || !bytes.Equal(re, data) {
			t.Fatalf("re-encoded %x as %x, %v", data, re, err)
		}
		back, err := DecodeBinaryPush(re)
		if err != nil || !sameFrame(fr, back) {
			t.Fatalf("round trip of %x: %+v, %v", data, back, err)
		}
	})
}

// spec: W5, W6 — DecodeV1 never panics and round-trips.
func FuzzDecodeV1(f *testing.F) {
	addSeeds(f, `{"topic":"t","event":"e","payload":null,"ref":null,"join_ref":"1"}`, `{"topic":"t","event":"e"}`,
		`{"topic":"t","topic":1,"event":"e"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeV1(data)
		if err != nil {
			checkDecodeError(t, err)
			if _, _, ok := stdlibV1(data); ok {
				t.Fatalf("DecodeV1(%q): %v, but encoding/json reads a valid frame", data, err)
			}
			return
		}
		if !json.Valid(data) || !json.Valid(fr.Payload) {
			t.Fatalf("DecodeV1(%q) accepted invalid JSON", data)
		}
		// encoding/json reads the same fields (last key wins there too).
		std, payload, ok := stdlibV1(data)
		if !ok || fr.JoinRef != std[0] || fr.Ref != std[1] || fr.Topic != std[2] || fr.Event != std[3] || !bytes.Equal(payload, fr.Payload) {
			t.Fatalf("DecodeV1(%q) = %+v; encoding/json reads %q %q (valid %v)", data, fr, std, payload, ok)
		}
		re := AppendV1(nil, &fr)
		back, err := DecodeV1(re)
		if err != nil || !sameFrame(fr, back) {
			t.Fatalf("round trip of %q via %q: %+v, %v", data, re, back, err)
		}
	})
}

// spec: W2, W3, W6 — ParseReply never panics and round-trips through
// AppendReplyPayload.
func FuzzParseReply(f *testing.F) {
	addSeeds(f, `{"response":{"reason":"unmatched topic"},"status":"error"}`, `{"status":"ok"}`, `{"status":"ok","response":null}`)
	// The payloads of the transcripts' replies, too.
	for _, wl := range loadTranscripts(f) {
		if env, err := SplitText([]byte(wl.Frame)); err == nil && !wl.Binary {
			f.Add(env.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReply(data)
		if err != nil {
			checkDecodeError(t, err)
			if _, _, _, ok := stdlibReply(data); ok {
				t.Fatalf("ParseReply(%q): %v, but encoding/json reads a valid reply", data, err)
			}
			return
		}
		if !json.Valid(data) || !json.Valid(r.Response) {
			t.Fatalf("ParseReply(%q) accepted invalid JSON", data)
		}
		status, response, reason, ok := stdlibReply(data)
		if !ok || status != r.Status || !bytes.Equal(response, r.Response) || reason != r.Reason() {
			t.Fatalf("ParseReply(%q) = %+v (reason %q); encoding/json reads %q %q %q (valid %v)", data, r, r.Reason(), status, response, reason, ok)
		}
		re := AppendReplyPayload(nil, r.Status, r.Response)
		back, err := ParseReply(re)
		if err != nil || back.Status != r.Status || !bytes.Equal(back.Response, r.Response) || back.Reason() != r.Reason() {
			t.Fatalf("round trip of %q via %q: %+v, %v", data, re, back, err)
		}
	})
}

// stdlibObject reads a JSON object with encoding/json (last key wins, keys
// matched exactly); ok is false when data is not one.
func stdlibObject(data []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// stdlibString reads a JSON string; null is not one.
func stdlibString(raw json.RawMessage) (string, bool) {
	var s string
	if raw == nil || string(raw) == "null" || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// stdlibV1 is the encoding/json oracle for DecodeV1.
func stdlibV1(data []byte) (strs [4]string, payload []byte, ok bool) {
	m, ok := stdlibObject(data)
	if !ok {
		return strs, nil, false
	}
	for k, name := range []string{"join_ref", "ref", "topic", "event"} {
		raw := m[name]
		if k < 2 && (raw == nil || string(raw) == "null") {
			continue
		}
		if strs[k], ok = stdlibString(raw); !ok {
			return strs, nil, false
		}
	}
	payload = m["payload"]
	if payload == nil {
		payload = []byte("null")
	}
	return strs, payload, true
}

// stdlibReply is the encoding/json oracle for ParseReply and Reason.
func stdlibReply(data []byte) (status string, response []byte, reason string, ok bool) {
	m, ok := stdlibObject(data)
	if !ok {
		return "", nil, "", false
	}
	if status, ok = stdlibString(m["status"]); !ok {
		return "", nil, "", false
	}
	response = m["response"]
	if response == nil {
		response = []byte("null")
	}
	if rm, isObj := stdlibObject(response); isObj {
		reason, _ = stdlibString(rm["reason"])
	}
	return status, response, reason, true
}
