package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// binDecoded is the "decoded" object of a binary transcript line.
type binDecoded struct {
	Kind       string  `json:"kind"`
	JoinRef    *string `json:"join_ref"`
	Ref        *string `json:"ref"`
	Topic      string  `json:"topic"`
	Event      string  `json:"event"`
	Status     string  `json:"status"`
	PayloadHex string  `json:"payload_hex"`
}

// spec: W4 — every binary frame of the real server's transcripts decodes to
// what the transcript says, and encodes back byte for byte.
func TestBinaryTranscripts(t *testing.T) {
	counts := map[string]int{}
	for _, wl := range loadTranscripts(t) {
		if !wl.Binary {
			continue
		}
		var want binDecoded
		if err := json.Unmarshal(wl.Decoded, &want); err != nil {
			t.Fatalf("%s:%d: %v", wl.File, wl.Line, err)
		}
		key := wl.Dir + " " + want.Kind
		counts[key]++
		if want.Kind == "unparseable" {
			for name, dec := range map[string]func([]byte) (Frame, error){"DecodeBinaryPush": DecodeBinaryPush, "DecodeBinaryServer": DecodeBinaryServer} {
				_, err := dec(wl.Bytes)
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) || de.Format != "binary" {
					t.Errorf("%s:%d: %s(%x) = %v, want binary *DecodeError", wl.File, wl.Line, name, wl.Bytes, err)
				}
			}
			continue
		}
		var f Frame
		var err error
		if wl.Dir == "out" {
			f, err = DecodeBinaryPush(wl.Bytes)
		} else {
			f, err = DecodeBinaryServer(wl.Bytes)
		}
		if err != nil {
			t.Errorf("%s:%d: decode %x: %v", wl.File, wl.Line, wl.Bytes, err)
			continue
		}
		payload, _ := hex.DecodeString(want.PayloadHex)
		wantEvent := want.Event
		if want.Kind == "reply(1)" {
			wantEvent = EventReply
		}
		if !f.Binary || f.Topic != want.Topic || f.Event != wantEvent || f.Status != want.Status ||
			f.JoinRef != deref(want.JoinRef) || f.Ref != deref(want.Ref) || !bytes.Equal(f.Payload, payload) {
			t.Errorf("%s:%d: decoded %+v, want %+v", wl.File, wl.Line, f, want)
		}
		if kind := strings.TrimSuffix(strings.SplitAfter(want.Kind, "(")[1], ")"); kind != string('0'+wl.Bytes[0]) {
			t.Errorf("%s:%d: kind %s but first byte %d", wl.File, wl.Line, want.Kind, wl.Bytes[0])
		}
		var re []byte
		if wl.Dir == "out" {
			re, err = AppendBinaryPush([]byte{0xee}, &f)
		} else {
			re, err = AppendBinaryServer([]byte{0xee}, &f)
		}
		if err != nil || !bytes.Equal(re[1:], wl.Bytes) || re[0] != 0xee {
			t.Errorf("%s:%d: re-encoded %x (%v), want ee%x", wl.File, wl.Line, re, err, wl.Bytes)
		}
	}
	for _, k := range []string{"out push(0)", "in push(0)", "in reply(1)", "in broadcast(2)", "out unparseable"} {
		if counts[k] == 0 {
			t.Errorf("no %q frame in the transcripts (loader broken?): %v", k, counts)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// spec: W4 — the exact layouts of the four frame kinds.
func TestBinaryLayouts(t *testing.T) {
	push := Frame{JoinRef: "1", Ref: "22", Topic: "café", Event: "ev", Payload: []byte{0, 0xff}}
	got, err := AppendBinaryPush(nil, &push)
	want := "\x00\x01\x02\x05\x02" + "1" + "22" + "café" + "ev" + "\x00\xff"
	if err != nil || string(got) != want {
		t.Errorf("client push = %x, %v; want %x (lengths in bytes: café is 5)", got, err, want)
	}
	got, err = AppendBinaryServer(nil, &push)
	want = "\x00\x01\x05\x02" + "1" + "café" + "ev" + "\x00\xff"
	if err != nil || string(got) != want {
		t.Errorf("server push = %x, %v; want %x (no ref)", got, err, want)
	}
	reply := Frame{JoinRef: "1", Ref: "22", Topic: "t", Event: EventReply, Status: StatusError, Payload: []byte("x")}
	got, err = AppendBinaryServer(nil, &reply)
	want = "\x01\x01\x02\x01\x05" + "1" + "22" + "t" + "error" + "x"
	if err != nil || string(got) != want {
		t.Errorf("reply = %x, %v; want %x", got, err, want)
	}
	bcast := Frame{Topic: "t", Event: "e"}
	got, err = AppendBinaryServer(nil, &bcast)
	want = "\x02\x01\x01te"
	if err != nil || string(got) != want {
		t.Errorf("broadcast = %x, %v; want %x", got, err, want)
	}
	f, err := DecodeBinaryServer([]byte(want))
	if err != nil || f.Topic != "t" || f.Event != "e" || len(f.Payload) != 0 || !f.Binary {
		t.Errorf("decode broadcast: %+v %v", f, err)
	}
	// Decoded strings do not alias the frame; the payload does (documented).
	data := []byte("\x00\x01\x01\x01\x01" + "jrteP")
	f, err = DecodeBinaryPush(data)
	if err != nil {
		t.Fatal(err)
	}
	data[1+4], data[len(data)-1] = 'X', 'Q'
	if f.JoinRef != "j" || string(f.Payload) != "Q" {
		t.Errorf("aliasing: %+v", f)
	}
}

// spec: W4 — a field longer than 255 bytes is an error, never truncated;
// 255 bytes is fine.
func TestBinaryFieldTooLong(t *testing.T) {
	max, long := strings.Repeat("a", 255), strings.Repeat("a", 256)
	multi := strings.Repeat("é", 128) // 128 runes, 256 bytes
	base := func() Frame { return Frame{JoinRef: "1", Ref: "2", Topic: "t", Event: "e", Status: "ok"} }
	set := map[string]func(*Frame, string){
		"join_ref": func(f *Frame, s string) { f.JoinRef = s },
		"ref":      func(f *Frame, s string) { f.Ref = s },
		"topic":    func(f *Frame, s string) { f.Topic = s },
		"event":    func(f *Frame, s string) { f.Event = s },
	}
	for name, fn := range set {
		for _, s := range []string{long, multi} {
			f := base()
			fn(&f, s)
			dst := []byte("keep")
			out, err := AppendBinaryPush(dst, &f)
			if !errors.Is(err, ErrFieldTooLong) || string(out) != "keep" || !strings.Contains(err.Error(), name+" is 256 bytes") {
				t.Errorf("push %s of %d bytes: %q, %v", name, len(s), out, err)
			}
			if name == "ref" {
				continue // a server push and a broadcast carry no ref
			}
			if _, err := AppendBinaryServer(nil, &f); !errors.Is(err, ErrFieldTooLong) {
				t.Errorf("server push %s of %d bytes: %v", name, len(s), err)
			}
		}
		f := base()
		fn(&f, max)
		out, err := AppendBinaryPush(nil, &f)
		if err != nil {
			t.Fatalf("%s of 255 bytes: %v", name, err)
		}
		back, err := DecodeBinaryPush(out)
		if err != nil || back.JoinRef != f.JoinRef || back.Ref != f.Ref || back.Topic != f.Topic || back.Event != f.Event {
			t.Errorf("%s of 255 bytes round trip: %v", name, err)
		}
	}
	for _, f := range []Frame{
		{JoinRef: "1", Ref: "2", Topic: "t", Event: EventReply, Status: long},
		{JoinRef: "1", Ref: long, Topic: "t", Event: EventReply, Status: "ok"},
		{Topic: long, Event: "e"},
		{Topic: "t", Event: multi},
	} {
		if _, err := AppendBinaryServer(nil, &f); !errors.Is(err, ErrFieldTooLong) {
			t.Errorf("server frame %.40q...: %v, want ErrFieldTooLong", f.Topic+"/"+f.Status, err)
		}
	}
}

// spec: W4, W6 — truncated or unknown binary frames are typed errors.
func TestBinaryMalformed(t *testing.T) {
	for _, h := range []string{
		"", "07", "070000", "ff", "03", "00", "0001", "000101", "0001010a", "0001010a04313163",
		"000101010131", "0001010101313274", "00050000003131",
	} {
		b := mustHex(t, h)
		if _, err := DecodeBinaryPush(b); !isDecodeError(err, "binary") {
			t.Errorf("DecodeBinaryPush(%s) = %v", h, err)
		}
	}
	for _, h := range []string{
		"", "07", "ff", "00", "000101", "0001010131", "01", "0101010101", "01010101013132" + "33",
		"02", "0201", "02010174", "020500616263",
	} {
		b := mustHex(t, h)
		if _, err := DecodeBinaryServer(b); !isDecodeError(err, "binary") {
			t.Errorf("DecodeBinaryServer(%s) = %v", h, err)
		}
	}
	// The errors say which field is short.
	_, err := DecodeBinaryPush(mustHex(t, "0001010a04313163"))
	if err == nil || !strings.Contains(err.Error(), "truncated topic: header says 10 bytes, 1 left at byte 7") {
		t.Errorf("truncated topic: %v", err)
	}
	_, err = DecodeBinaryServer(mustHex(t, "0101"))
	if err == nil || !strings.Contains(err.Error(), "truncated header") {
		t.Errorf("truncated header: %v", err)
	}
	// The DecodeBinaryPush of a reply or broadcast kind is an error too.
	for _, b := range [][]byte{{1, 0, 0, 0, 0}, {2, 0, 0}} {
		if _, err := DecodeBinaryPush(b); !isDecodeError(err, "binary") {
			t.Errorf("DecodeBinaryPush(%x) = %v", b, err)
		}
	}
	// Minimal valid frames: all lengths zero.
	if f, err := DecodeBinaryPush([]byte{0, 0, 0, 0, 0}); err != nil || f.Topic != "" || len(f.Payload) != 0 {
		t.Errorf("empty push: %+v %v", f, err)
	}
}

func isDecodeError(err error, format string) bool {
	var de *DecodeError
	return errors.As(err, &de) && errors.Is(err, ErrMalformed) && de.Format == format && de.Error() != ""
}

func mustHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatalf("bad hex %q: %v", h, err)
	}
	return b
}
