package actors

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rvct/phoenix/protocol"
)

// A reply nobody waits for (a ref never sent, a settled call) or one that
// does not parse is dropped and counted on the socket; a reply to a call in
// flight is not.
//
// spec: K5, W6
func TestSessionCountsUnmatchedReplies(t *testing.T) {
	h, def, joinRef := joinedHarness(t)

	h.reply(joinRef, "9000000001", "ok", `{}`)
	assert.Equal(t, 1, h.link.unknownRefs, "a reply to a ref never sent is counted")

	h.in(protocol.Frame{JoinRef: joinRef, Ref: "9000000002", Topic: "chat:lobby", Event: protocol.EventReply, Payload: []byte(`{"response":{}}`)})
	assert.Equal(t, 2, h.link.unknownRefs, "an unparseable reply to no call is counted")

	req := h.call(def, `{"body":"x"}`)
	sent := h.link.last(t)
	h.reply(joinRef, sent.Ref, "ok", `{}`)
	assert.Equal(t, CallOK, h.result(req).Outcome)
	assert.Equal(t, 2, h.link.unknownRefs, "a reply to a call in flight is not dropped")

	h.reply(joinRef, sent.Ref, "ok", `{}`)
	assert.Equal(t, 3, h.link.unknownRefs, "a second reply to a settled call is counted")
}
