package protocol

// Reply is the payload of a phx_reply: {"status": "ok"|"error", "response": any}.
type Reply struct {
	Status string
	// Response is the raw JSON text of the response (null when absent), or the
	// raw bytes of a binary reply.
	Response []byte
	Binary   bool
}

// OK reports whether the status is "ok".
func (r Reply) OK() bool { return r.Status == StatusOK }

// Reason returns the "reason" string of an error response such as
// {"reason":"unmatched topic"}, or "" when there is none.
func (r Reply) Reason() string {
	if r.Binary {
		return ""
	}
	v, ok := objectField(r.Response, "reason")
	if !ok {
		return ""
	}
	s, ok := unquote(v)
	if !ok {
		return ""
	}
	return s
}

// ParseReply reads a JSON phx_reply payload. The status must be a string; a
// missing response reads as null. When a key repeats, the last one counts,
// as with encoding/json.
func ParseReply(payload []byte) (Reply, error) {
	var r Reply
	var sawStatus bool
	w := walkObject(payload, walkReply)
	for key, val, ok := w.next(); ok; key, val, ok = w.next() {
		switch {
		case keyIs(key, "status"):
			r.Status, sawStatus = unquote(val)
		case keyIs(key, "response"):
			r.Response = val
		}
	}
	if err := w.finish(); err != nil {
		return Reply{}, err
	}
	if !sawStatus {
		return Reply{}, malformed("reply", -1, "reply has no string status")
	}
	if r.Response == nil {
		r.Response = []byte("null")
	}
	return r, nil
}

// AppendReplyPayload appends {"response":<response>,"status":"<status>"}, the
// key order Phoenix's Jason encoder writes. An empty response is written as
// {}; any other must be valid JSON text.
func AppendReplyPayload(dst []byte, status string, response []byte) []byte {
	dst = append(dst, `{"response":`...)
	if len(response) == 0 {
		dst = append(dst, '{', '}')
	} else {
		dst = append(dst, response...)
	}
	dst = append(dst, `,"status":`...)
	dst = appendQuoted(dst, status)
	return append(dst, '}')
}
