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

var nullJSON = []byte("null")

// ParseReply reads a JSON phx_reply payload. The status must be a string; a
// missing response reads as null.
func ParseReply(payload []byte) (Reply, error) {
	i := skipWS(payload, 0)
	if i >= len(payload) || payload[i] != '{' {
		return Reply{}, malformed("reply", i, "reply payload is not an object")
	}
	var r Reply
	var sawStatus bool
	err := eachField(payload, func(key string, val []byte) bool {
		switch key {
		case "status":
			s, ok := unquote(val)
			if ok {
				r.Status, sawStatus = s, true
			}
		case "response":
			r.Response = val
		}
		return true
	})
	if err != nil {
		return Reply{}, err
	}
	if !sawStatus {
		return Reply{}, malformed("reply", -1, "reply has no string status")
	}
	if r.Response == nil {
		r.Response = nullJSON
	}
	return r, nil
}

// AppendReplyPayload appends {"response":<response>,"status":"<status>"}, the
// key order Phoenix's Jason encoder writes. A nil response is written as {}.
func AppendReplyPayload(dst []byte, status string, response []byte) []byte {
	dst = append(dst, `{"response":`...)
	if response == nil {
		dst = append(dst, '{', '}')
	} else {
		dst = append(dst, response...)
	}
	dst = append(dst, `,"status":`...)
	dst = appendQuoted(dst, status)
	return append(dst, '}')
}

// eachField calls fn for each member of the JSON object in b (b must be a
// whole object). It stops early when fn returns false.
func eachField(b []byte, fn func(key string, val []byte) bool) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return malformed("json", i, "not an object")
	}
	end, err := scanValue(b, i)
	if err != nil {
		return err
	}
	if skipWS(b, end) != len(b) {
		return malformed("json", end, "data after the object")
	}
	i++
	for {
		i = skipWS(b, i)
		if b[i] == '}' {
			return nil
		}
		kEnd, _ := scanString(b, i)
		key, _ := unquote(b[i:kEnd])
		i = skipWS(b, kEnd) + 1 // past ':'
		i = skipWS(b, i)
		vEnd, _ := scanValue(b, i)
		if !fn(key, b[i:vEnd]) {
			return nil
		}
		i = skipWS(b, vEnd)
		if b[i] == ',' {
			i++
		}
	}
}

// objectField returns the raw value of key in the JSON object b.
func objectField(b []byte, key string) ([]byte, bool) {
	var out []byte
	found := false
	_ = eachField(b, func(k string, v []byte) bool {
		if k == key {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found
}
