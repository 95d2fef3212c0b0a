package protocol

import "errors"

// DecodeV1 decodes a legacy vsn 1.0.0 object frame
// {"topic","event","payload","ref","join_ref"}. topic and event are required
// strings; ref and join_ref are strings or null or absent; an absent payload
// reads as null. When a key repeats, the last one counts, as with
// encoding/json. Bad input gives a *DecodeError.
func DecodeV1(data []byte) (Frame, error) {
	env := Envelope{JoinRef: nullRaw, Ref: nullRaw} // absent refs read as null
	w := walkObject(data, walkV1)
	for key, val, ok := w.next(); ok; key, val, ok = w.next() {
		switch {
		case keyIs(key, "topic"):
			env.Topic = val
		case keyIs(key, "event"):
			env.Event = val
		case keyIs(key, "ref"):
			env.Ref = val
		case keyIs(key, "join_ref"):
			env.JoinRef = val
		case keyIs(key, "payload"):
			env.Payload = val
		}
	}
	if err := w.finish(); err != nil {
		return Frame{}, err
	}
	switch {
	case env.Topic == nil:
		return Frame{}, malformed("v1", -1, "topic missing")
	case env.Event == nil:
		return Frame{}, malformed("v1", -1, "event missing")
	case env.Payload == nil:
		env.Payload = []byte("null")
	}
	f, err := env.Frame()
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return Frame{}, malformed("v1", -1, de.Reason)
		}
		return Frame{}, err
	}
	return f, nil
}

// nullRaw is the JSON null, for raw values that are only read, never handed out.
var nullRaw = []byte("null")

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
