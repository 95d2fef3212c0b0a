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
	fields := [5]*[]byte{&env.JoinRef, &env.Ref, &env.Topic, &env.Event, &env.Payload}
	n := 0
	for {
		i = skipWS(data, i)
		if n == 0 && i < len(data) && data[i] == ']' {
			return env, malformed("json", i, "frame is an empty array")
		}
		start := i
		end, err := scanValue(data, i)
		if err != nil {
			return env, err
		}
		if n < len(fields) {
			*fields[n] = data[start:end]
		} else {
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
	if n < len(fields) {
		return env, malformed("json", i, "frame has fewer than 5 elements")
	}
	if i = skipWS(data, i); i != len(data) {
		return env, malformed("json", i, "data after the frame")
	}
	return env, nil
}

// DecodeText decodes a vsn 2.0.0 JSON text frame. join_ref and ref must be
// strings or null; topic and event must be strings. The payload is kept as
// its raw JSON text (it aliases data).
func DecodeText(data []byte) (Frame, error) {
	env, err := SplitText(data)
	if err != nil {
		return Frame{}, err
	}
	return env.Frame()
}

// Frame converts the envelope to a Frame, checking element types.
func (e Envelope) Frame() (Frame, error) {
	var f Frame
	var ok bool
	if f.JoinRef, ok = refString(e.JoinRef); !ok {
		return Frame{}, malformed("json", -1, "join_ref is neither a string nor null")
	}
	if f.Ref, ok = refString(e.Ref); !ok {
		return Frame{}, malformed("json", -1, "ref is neither a string nor null")
	}
	if f.Topic, ok = unquote(e.Topic); !ok {
		return Frame{}, malformed("json", -1, "topic is not a string")
	}
	if f.Event, ok = unquote(e.Event); !ok {
		return Frame{}, malformed("json", -1, "event is not a string")
	}
	f.Payload = e.Payload
	return f, nil
}

func refString(raw []byte) (string, bool) {
	if string(raw) == "null" {
		return "", true
	}
	return unquote(raw)
}

// AppendText appends f as a vsn 2.0.0 JSON text frame. A nil payload is
// written as {}; a non-nil payload must be valid JSON text and is written as
// it is.
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
	if f.Payload == nil {
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
