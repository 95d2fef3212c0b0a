package protocol

// DecodeV1 decodes a legacy vsn 1.0.0 object frame
// {"topic","event","payload","ref","join_ref"}. topic and event are required
// strings; ref and join_ref are strings or null or absent.
func DecodeV1(data []byte) (Frame, error) {
	var f Frame
	var haveTopic, haveEvent bool
	var bad string
	err := eachField(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "topic":
			f.Topic, ok = unquote(val)
			haveTopic = ok
		case "event":
			f.Event, ok = unquote(val)
			haveEvent = ok
		case "ref":
			if f.Ref, ok = refString(val); !ok {
				bad = "ref is neither a string nor null"
			}
		case "join_ref":
			if f.JoinRef, ok = refString(val); !ok {
				bad = "join_ref is neither a string nor null"
			}
		case "payload":
			f.Payload = val
		}
		return bad == ""
	})
	if err != nil {
		return Frame{}, malformed("v1", -1, "frame is not a JSON object")
	}
	switch {
	case bad != "":
		return Frame{}, malformed("v1", -1, bad)
	case !haveTopic:
		return Frame{}, malformed("v1", -1, "topic missing or not a string")
	case !haveEvent:
		return Frame{}, malformed("v1", -1, "event missing or not a string")
	}
	if f.Payload == nil {
		f.Payload = nullJSON
	}
	return f, nil
}

// AppendV1 appends f as a vsn 1.0.0 object frame. join_ref is written only
// when set, as the official client and server do.
func AppendV1(dst []byte, f *Frame) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendQuoted(dst, f.Topic)
	dst = append(dst, `,"event":`...)
	dst = appendQuoted(dst, f.Event)
	dst = append(dst, `,"payload":`...)
	if f.Payload == nil {
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
