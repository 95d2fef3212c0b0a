package protocol

// Protocol versions (the vsn query parameter).
const (
	Vsn2 = "2.0.0"
	Vsn1 = "1.0.0"
)

// Serializer encodes and decodes frames for one protocol version, from the
// client's side (EncodeClient, DecodeServer) or the server's (DecodeClient,
// EncodeServer). The zero value is vsn 2.0.0.
type Serializer int

const (
	// V2 is the vsn 2.0.0 serializer: JSON arrays and binary frames.
	V2 Serializer = iota
	// V1 is the legacy vsn 1.0.0 serializer: JSON objects, no binary frames.
	V1
)

// ErrBinaryUnsupported is returned when a binary frame meets the vsn 1.0.0
// serializer, which has none.
var ErrBinaryUnsupported = &DecodeError{Format: "v1", Offset: -1, Reason: "binary frames need vsn 2.0.0"}

// Vsn is the value of the vsn query parameter for this serializer.
func (s Serializer) Vsn() string {
	if s == V1 {
		return Vsn1
	}
	return Vsn2
}

// String returns the version.
func (s Serializer) String() string { return s.Vsn() }

// EncodeClient appends f as the client sends it; binary reports whether it
// must go out as a websocket binary message (f.Binary under vsn 2.0.0).
func (s Serializer) EncodeClient(dst []byte, f *Frame) (out []byte, binary bool, err error) {
	if f.Binary {
		if s == V1 {
			return dst, false, ErrBinaryUnsupported
		}
		out, err = AppendBinaryPush(dst, f)
		return out, true, err
	}
	if s == V1 {
		return AppendV1(dst, f), false, nil
	}
	return AppendText(dst, f), false, nil
}

// DecodeServer decodes a message the server sent.
func (s Serializer) DecodeServer(data []byte, binary bool) (Frame, error) {
	switch {
	case binary && s == V1:
		return Frame{}, ErrBinaryUnsupported
	case binary:
		return DecodeBinaryServer(data)
	case s == V1:
		return DecodeV1(data)
	default:
		return DecodeText(data)
	}
}

// DecodeClient decodes a message a client sent, as a server reads it.
func (s Serializer) DecodeClient(data []byte, binary bool) (Frame, error) {
	switch {
	case binary && s == V1:
		return Frame{}, ErrBinaryUnsupported
	case binary:
		return DecodeBinaryPush(data)
	case s == V1:
		return DecodeV1(data)
	default:
		return DecodeText(data)
	}
}

// EncodeServer appends f as the server sends it.
func (s Serializer) EncodeServer(dst []byte, f *Frame) (out []byte, binary bool, err error) {
	if f.Binary {
		if s == V1 {
			return dst, false, ErrBinaryUnsupported
		}
		out, err = AppendBinaryServer(dst, f)
		return out, true, err
	}
	if s == V1 {
		return AppendV1(dst, f), false, nil
	}
	return AppendText(dst, f), false, nil
}
