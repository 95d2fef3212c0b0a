package protocol

// DecodeV1 decodes a legacy vsn 1.0.0 object frame
// {"topic","event","payload","ref","join_ref"}. topic and event are required
// strings; ref and join_ref are strings or null or absent.
func DecodeV1(data []byte) (Frame, error) {
	var f Frame
	var haveTopic, haveEvent bool
	w := walkObject(data, "v1")
	for key, val, ok := w.next(); ok; key, val, ok = w.next() {
		var good bool
		switch {
		case keyIs(key, "topic"):
			f.Topic, haveTopic = unquote(val)
		case keyIs(key, "event"):
			f.Event, haveEvent = unquote(val)
		case keyIs(key, "ref"):
			if f.Ref, good = refString(val); !good {
				return Frame{}, malformed("v1", w.valStart, "ref is neither a string nor null")
			}
		case keyIs(key, "join_ref"):
			if f.JoinRef, good = refString(val); !good {
				return Frame{}, malformed("v1", w.valStart, "join_ref is neither a string nor null")
			}
		case keyIs(key, "payload"):
			f.Payload = val
		}
	}
	if err := w.finish(); err != nil {
		return Frame{}, err
	}
	switch {
	case !haveTopic:
		return Frame{}, malformed("v1", -1, "topic missing or not a string")
	case !haveEvent:
		return Frame{}, malformed("v1", -1, "event missing or not a string")
	}
	if f.Payload == nil {
		f.Payload = []byte("null")
	}
	return f, nil
}

// AppendV1 appends f as a vsn 1.0.0 object frame. join_ref is written only
// when set, as the official client and server do. An empty payload is written
// as {}; any other must be valid JSON text.
func AppendV1(dst []byte, f *Frame) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendQuoted(dst, f.Topic)
	dst = append(dst, `,"event":`...)
	dst = appendQuoted(dst, f.Event)
	dst = append(dst, `,"payload":`...)
	if len(f.Payload) == 0 {
		dst = append(dst, '{', '}')
	} else {
		dst = append(dst, f.Payload...)
	}
	dst = append(dst, `,"ref":`...)
	dst = appendRef(dst, f.Ref)
	if f.JoinRef != "" {
		dst = append(dst, `,"join_ref":`...)
		dst = appendQuoted(dst, f.JoinRef)
	}
	return append(dst, '}')
}
