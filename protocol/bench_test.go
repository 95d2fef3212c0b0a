package protocol

import (
	"encoding/json"
	"testing"
)

// benchBroadcast is a typical broadcast: null refs, a chat topic and a body of
// about 100 bytes.
var benchBroadcast = []byte(`[null,null,"chat:lobby","new_msg",{"id":48213,"user":"alice","body":"Hello everyone! The deploy finished at 14:02 \u2014 please reload the page and report anything odd.","inserted_at":"2025-01-15T14:02:11Z"}]`)

var benchReply = []byte(`{"response":{"reason":"unmatched topic"},"status":"error"}`)

var benchBinary = []byte("\x01\x01\x02\x0a\x02" + "1" + "42" + "chat:lobby" + "ok" + "\x01\x02\x03\x04\x05\x06\x07\x08")

var sinkFrame Frame

// BenchmarkDecodeText decodes a broadcast frame.
func BenchmarkDecodeText(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBroadcast)))
	for b.Loop() {
		f, err := DecodeText(benchBroadcast)
		if err != nil {
			b.Fatal(err)
		}
		sinkFrame = f
	}
}

// BenchmarkDecodeTextVsStdlib splits the same frame with encoding/json, for
// comparison (it checks no element type, and keeps the strings quoted).
func BenchmarkDecodeTextVsStdlib(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBroadcast)))
	for b.Loop() {
		var elems []json.RawMessage
		if err := json.Unmarshal(benchBroadcast, &elems); err != nil || len(elems) != 5 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendText encodes a push into a reused buffer.
func BenchmarkAppendText(b *testing.B) {
	f, err := DecodeText(benchBroadcast)
	if err != nil {
		b.Fatal(err)
	}
	f.JoinRef, f.Ref = "3", "1042"
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBroadcast)))
	for b.Loop() {
		buf = AppendText(buf[:0], &f)
	}
}

// BenchmarkDecodeBinaryServer decodes a binary reply.
func BenchmarkDecodeBinaryServer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, err := DecodeBinaryServer(benchBinary)
		if err != nil {
			b.Fatal(err)
		}
		sinkFrame = f
	}
}

// BenchmarkParseReply reads an error reply and its reason.
func BenchmarkParseReply(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseReply(benchReply)
		if err != nil || r.Reason() != ReasonUnmatchedTopic {
			b.Fatal(err)
		}
	}
}
