package protocol

import (
	"encoding/json"
	"errors"
	"testing"
)

// spec: W5 — the vsn 1.0.0 frames of the real server decode, and re-encode
// to the same JSON object; a vsn 2.0.0 array is not a vsn 1.0.0 frame.
func TestDecodeV1Transcript(t *testing.T) {
	objects, arrays := 0, 0
	for _, wl := range loadTranscripts(t) {
		if wl.Binary || !wl.isV1File {
			continue
		}
		data := []byte(wl.Frame)
		if data[0] == '[' {
			arrays++
			if _, err := DecodeV1(data); !isDecodeError(err, "v1") {
				t.Errorf("%s:%d: DecodeV1(%s) = %v, want *DecodeError", wl.File, wl.Line, data, err)
			}
			continue
		}
		objects++
		if _, err := DecodeText(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s:%d: DecodeText of a V1 object = %v, want ErrMalformed", wl.File, wl.Line, err)
		}
		f, err := DecodeV1(data)
		if err != nil {
			t.Errorf("%s:%d: DecodeV1(%s): %v", wl.File, wl.Line, data, err)
			continue
		}
		var want struct {
			Topic, Event, Ref string
			JoinRef           *string `json:"join_ref"`
			Payload           json.RawMessage
		}
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if f.Topic != want.Topic || f.Event != want.Event || f.Ref != want.Ref || f.JoinRef != deref(want.JoinRef) || !jsonEqual(t, f.Payload, want.Payload) {
			t.Errorf("%s:%d: decoded %+v, want %+v", wl.File, wl.Line, f, want)
		}
		if re := AppendV1(nil, &f); !jsonEqual(t, re, data) {
			t.Errorf("%s:%d: re-encoded %s, want JSON-equal to %s", wl.File, wl.Line, re, data)
		}
		if f.IsReply() {
			if r, err := f.Reply(); err != nil || !r.OK() {
				t.Errorf("%s:%d: Reply() = %+v, %v", wl.File, wl.Line, r, err)
			}
		}
	}
	if objects != 6 || arrays != 1 {
		t.Errorf("saw %d objects and %d arrays, want 6 and 1", objects, arrays)
	}
}

// spec: W5 — field rules of the object form.
func TestDecodeV1Fields(t *testing.T) {
	f, err := DecodeV1([]byte(`{"join_ref":"3","ref":null,"topic":"t","event":"e","payload":[1]}`))
	if err != nil || f.JoinRef != "3" || f.Ref != "" || f.Topic != "t" || f.Event != "e" || string(f.Payload) != "[1]" {
		t.Fatalf("got %+v %v", f, err)
	}
	if got := string(AppendV1(nil, &f)); got != `{"topic":"t","event":"e","payload":[1],"ref":null,"join_ref":"3"}` {
		t.Fatalf("AppendV1 = %s", got)
	}
	f, err = DecodeV1([]byte(`{"topic":"t","event":"e","unknown":{"x":[]}}`))
	if err != nil || string(f.Payload) != "null" || f.Ref != "" {
		t.Fatalf("absent payload/ref: %+v %v", f, err)
	}
	if got := string(AppendV1(nil, &Frame{Topic: "phoenix", Event: "heartbeat", Ref: "3"})); got != `{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"}` {
		t.Fatalf("heartbeat = %s (the official V1 client frame)", got)
	}
	for _, bad := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"topic":"t"}`, `{"event":"e"}`, `{"topic":1,"event":"e"}`,
		`{"topic":"t","event":null}`, `{"topic":"t","event":"e","ref":1}`, `{"topic":"t","event":"e","join_ref":true}`,
		`{"topic":"t","event":"e"`, `{"topic":"t","event":"e"}x`, `{"topic":"t","event":"e","payload":}`,
		`[null,"4","phoenix","heartbeat",{}]`,
	} {
		if _, err := DecodeV1([]byte(bad)); !isDecodeError(err, "v1") {
			t.Errorf("DecodeV1(%q) = %v, want v1 *DecodeError", bad, err)
		}
	}
}

// spec: W5 — the serializer picks the format; vsn 1.0.0 has no binary frames.
func TestSerializer(t *testing.T) {
	var zero Serializer
	if zero != V2 || V2.Vsn() != "2.0.0" || V1.Vsn() != "1.0.0" || V1.String() != "1.0.0" || V2.String() != Vsn2 {
		t.Fatal("versions")
	}
	text := Frame{JoinRef: "1", Ref: "2", Topic: "t", Event: "e", Payload: []byte(`{"a":1}`)}
	bin := Frame{JoinRef: "1", Ref: "2", Topic: "t", Event: "e", Payload: []byte{1, 2}, Binary: true}

	out, isBin, err := V2.EncodeClient(nil, &text)
	if err != nil || isBin || string(out) != `["1","2","t","e",{"a":1}]` {
		t.Errorf("V2 text: %s %v %v", out, isBin, err)
	}
	if f, err := V2.DecodeClient(out, false); err != nil || f.Topic != "t" {
		t.Errorf("V2 DecodeClient: %+v %v", f, err)
	}
	out, isBin, err = V2.EncodeClient(nil, &bin)
	if err != nil || !isBin || string(out) != "\x00\x01\x01\x01\x01"+"12te\x01\x02" {
		t.Errorf("V2 binary: %x %v %v", out, isBin, err)
	}
	if f, err := V2.DecodeClient(out, true); err != nil || f.Ref != "2" || !f.Binary {
		t.Errorf("V2 DecodeClient binary: %+v %v", f, err)
	}
	out, isBin, err = V2.EncodeServer(nil, &bin)
	if err != nil || !isBin || string(out) != "\x00\x01\x01\x01"+"1te\x01\x02" {
		t.Errorf("V2 EncodeServer binary: %x %v %v", out, isBin, err)
	}
	if f, err := V2.DecodeServer(out, true); err != nil || f.JoinRef != "1" || f.Ref != "" || !f.Binary {
		t.Errorf("V2 DecodeServer binary: %+v %v", f, err)
	}
	out, _, _ = V2.EncodeServer(nil, &text)
	if f, err := V2.DecodeServer(out, false); err != nil || f.Ref != "2" {
		t.Errorf("V2 DecodeServer text: %+v %v", f, err)
	}

	out, isBin, err = V1.EncodeClient(nil, &text)
	if err != nil || isBin || string(out) != `{"topic":"t","event":"e","payload":{"a":1},"ref":"2","join_ref":"1"}` {
		t.Errorf("V1 text: %s %v %v", out, isBin, err)
	}
	for _, dec := range []func([]byte, bool) (Frame, error){V1.DecodeClient, V1.DecodeServer} {
		if f, err := dec(out, false); err != nil || f.JoinRef != "1" {
			t.Errorf("V1 decode: %+v %v", f, err)
		}
		if _, err := dec([]byte{0, 0, 0, 0, 0}, true); !errors.Is(err, ErrBinaryUnsupported) || !errors.Is(err, ErrMalformed) {
			t.Errorf("V1 decode binary = %v", err)
		}
		if _, err := dec([]byte(`["1","2","t","e",{}]`), false); !errors.Is(err, ErrMalformed) {
			t.Errorf("V1 decode of a V2 array = %v", err)
		}
	}
	out, _, _ = V1.EncodeServer(nil, &text)
	if !jsonEqual(t, out, []byte(`{"topic":"t","event":"e","payload":{"a":1},"ref":"2","join_ref":"1"}`)) {
		t.Errorf("V1 EncodeServer = %s", out)
	}
	for _, enc := range []func([]byte, *Frame) ([]byte, bool, error){V1.EncodeClient, V1.EncodeServer} {
		out, _, err := enc([]byte("dst"), &bin)
		if !errors.Is(err, ErrBinaryUnsupported) || string(out) != "dst" {
			t.Errorf("V1 encode binary = %q, %v", out, err)
		}
	}
	if _, _, err := V2.EncodeClient(nil, &Frame{Topic: string(make([]byte, 300)), Binary: true}); !errors.Is(err, ErrFieldTooLong) {
		t.Errorf("V2 binary too long = %v", err)
	}
}
