//go:build !race

package protocol

import "testing"

// The decoders' allocation budget (the race detector changes it, hence the
// build tag): one allocation for a frame's strings, none for a reply, none to
// encode into a reused buffer.
func TestAllocations(t *testing.T) {
	buf := make([]byte, 0, 1024)
	cases := []struct {
		name string
		max  float64
		fn   func()
	}{
		{"DecodeText broadcast", 1, func() { _, _ = DecodeText(benchBroadcast) }},
		{"DecodeText heartbeat reply", 0, func() { _, _ = DecodeText([]byte(`[null,"7","phoenix","phx_reply",{"response":{},"status":"ok"}]`)) }},
		{"DecodeBinaryServer", 1, func() { _, _ = DecodeBinaryServer(benchBinary) }},
		{"ParseReply+Reason", 0, func() { r, _ := ParseReply(benchReply); _ = r.Reason() }},
		{"DecodeV1", 1, func() { _, _ = DecodeV1([]byte(`{"topic":"room:v1","event":"echo","payload":{},"ref":"12"}`)) }},
		{"AppendText", 0, func() { f := Frame{Ref: "12", Topic: "room:x", Event: "e"}; buf = AppendText(buf[:0], &f) }},
		{"AppendBinaryServer", 0, func() {
			f := Frame{JoinRef: "1", Ref: "12", Topic: "room:x", Event: EventReply, Status: "ok"}
			buf, _ = AppendBinaryServer(buf[:0], &f)
		}},
	}
	for _, c := range cases {
		if got := testing.AllocsPerRun(200, c.fn); got > c.max {
			t.Errorf("%s: %v allocations, want at most %v", c.name, got, c.max)
		}
	}
}
