package protocol

// Envelope is a vsn 2.0.0 JSON frame split into the raw JSON text of its
// elements, without decoding them. A server that must echo odd values back
// as they came (a numeric ref, say) reads the envelope; clients use
// DecodeText.
type Envelope struct {
	JoinRef []byte // raw JSON: a string literal, null, or (from odd peers) any value
	Ref     []byte
	Topic   []byte
	Event   []byte
	Payload []byte
	// Extra counts elements after the fifth; Phoenix ignores them.
	Extra int
}

// SplitText splits a vsn 2.0.0 JSON frame into its elements. It accepts any
// JSON value in each position and fails only when data is not a JSON array of
// at least five elements.
func SplitText(data []byte) (Envelope, error) {
	var env Envelope
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '[' {
		return env, malformed("json", i, "frame is not a JSON array")
	}
	i++
	const nFields = 5
	n := 0
	for {
		i = skipWS(data, i)
		if n == 0 && i < len(data) && data[i] == ']' {
			return env, malformed("json", i, "frame is an empty array")
		}
		start := i
		end, err := scanNested(data, i, maxDepth-1) // the frame is one level
		if err != nil {
			return env, err
		}
		switch n {
		case 0:
			env.JoinRef = data[start:end]
		case 1:
			env.Ref = data[start:end]
		case 2:
			env.Topic = data[start:end]
		case 3:
			env.Event = data[start:end]
		case 4:
			env.Payload = data[start:end]
		default:
			env.Extra++
		}
		n++
		i = skipWS(data, end)
		if i >= len(data) {
			return env, malformed("json", i, "unterminated array")
		}
		if data[i] == ',' {
			i++
			continue
		}
		if data[i] != ']' {
			return env, malformed("json", i, "expected , or ]")
		}
		i++
		break
	}
	if n < nFields {
		return env, malformed("json", i, "frame has fewer than 5 elements")
	}
	if i = skipWS(data, i); i != len(data) {
		return env, malformed("json", i, "data after the frame")
	}
	return env, nil
}

// DecodeText decodes a vsn 2.0.0 JSON text frame. join_ref and ref must be
// strings or null; topic and event must be strings; elements after the fifth
// are ignored, as Phoenix does. The payload is kept as its raw JSON text
// (checked to be valid JSON; it aliases data); the strings do not alias data.
// Bad input gives a *DecodeError.
func DecodeText(data []byte) (Frame, error) {
	env, err := SplitText(data)
	if err != nil {
		return Frame{}, err
	}
	return env.Frame()
}

// Frame converts the envelope to a Frame, checking element types. The four
// strings share one allocation; well-known names (phx_reply, phoenix, ...)
// take none.
func (e Envelope) Frame() (Frame, error) {
	raws := [4][]byte{e.JoinRef, e.Ref, e.Topic, e.Event}
	var out [4]string
	var spans [4][2]int // offsets in joined; spans[k][1] == 0 when unused
	var buf [128]byte
	joined := buf[:0]
	for k, raw := range raws {
		if k < 2 && string(raw) == "null" {
			continue
		}
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return Frame{}, malformed("json", -1, envelopeNames[k])
		}
		inner := raw[1 : len(raw)-1]
		if needsUnquote(inner) {
			s, ok := unquote(raw)
			if !ok {
				return Frame{}, malformed("json", -1, envelopeNames[k])
			}
			out[k] = s
			continue
		}
		if s, ok := wellKnown(inner); ok {
			out[k] = s
			continue
		}
		spans[k] = [2]int{len(joined), len(joined) + len(inner)}
		joined = append(joined, inner...)
	}
	if len(joined) > 0 {
		all := string(joined)
		for k, sp := range spans {
			if sp[1] > 0 {
				out[k] = all[sp[0]:sp[1]]
			}
		}
	}
	return Frame{JoinRef: out[0], Ref: out[1], Topic: out[2], Event: out[3], Payload: e.Payload}, nil
}

var envelopeNames = [4]string{
	"join_ref is neither a string nor null",
	"ref is neither a string nor null",
	"topic is not a string",
	"event is not a string",
}

// wellKnown returns the constant for a name that most frames carry (reserved
// topics and events, reply statuses and reasons), so decoding it allocates
// nothing.
func wellKnown(b []byte) (string, bool) {
	switch string(b) {
	case EventReply:
		return EventReply, true
	case TopicPhoenix:
		return TopicPhoenix, true
	case EventJoin:
		return EventJoin, true
	case EventLeave:
		return EventLeave, true
	case EventError:
		return EventError, true
	case EventClose:
		return EventClose, true
	case EventHeartbeat:
		return EventHeartbeat, true
	case "presence_diff":
		return "presence_diff", true
	case "presence_state":
		return "presence_state", true
	case StatusOK:
		return StatusOK, true
	case StatusError:
		return StatusError, true
	case ReasonUnmatchedTopic:
		return ReasonUnmatchedTopic, true
	case ReasonTooManyJoined:
		return ReasonTooManyJoined, true
	case ReasonJoinCrashed:
		return ReasonJoinCrashed, true
	}
	return "", false
}

func refString(raw []byte) (string, bool) {
	if string(raw) == "null" {
		return "", true
	}
	return unquote(raw)
}

// AppendText appends f as a vsn 2.0.0 JSON text frame. An empty (or nil)
// payload is written as {}; any other must be valid JSON text (see ValidJSON)
// and is written as it is.
func AppendText(dst []byte, f *Frame) []byte {
	dst = append(dst, '[')
	dst = appendRef(dst, f.JoinRef)
	dst = append(dst, ',')
	dst = appendRef(dst, f.Ref)
	dst = append(dst, ',')
	dst = appendQuoted(dst, f.Topic)
	dst = append(dst, ',')
	dst = appendQuoted(dst, f.Event)
	dst = append(dst, ',')
	if len(f.Payload) == 0 {
		dst = append(dst, '{', '}')
	} else {
		dst = append(dst, f.Payload...)
	}
	return append(dst, ']')
}

func appendRef(dst []byte, ref string) []byte {
	if ref == "" {
		return append(dst, "null"...)
	}
	return appendQuoted(dst, ref)
}

// ValidJSON reports whether b is exactly one JSON value (surrounding white
// space allowed).
func ValidJSON(b []byte) bool {
	i := skipWS(b, 0)
	end, err := scanValue(b, i)
	return err == nil && skipWS(b, end) == len(b)
}
