package protocol

// Binary frame kinds of the vsn 2.0.0 serializer.
const (
	KindPush      byte = 0
	KindReply     byte = 1
	KindBroadcast byte = 2
)

// MaxBinaryField is the longest join_ref, ref, topic, event or status a binary
// frame can carry: each length is one byte.
const MaxBinaryField = 255

func checkFields(fields ...string) error {
	for _, s := range fields {
		if len(s) > MaxBinaryField {
			return ErrFieldTooLong
		}
	}
	return nil
}

// AppendBinaryPush appends f as a client push (kind 0):
// [0][join_ref len][ref len][topic len][event len] join_ref ref topic event payload.
func AppendBinaryPush(dst []byte, f *Frame) ([]byte, error) {
	if err := checkFields(f.JoinRef, f.Ref, f.Topic, f.Event); err != nil {
		return dst, err
	}
	dst = append(dst, KindPush, byte(len(f.JoinRef)), byte(len(f.Ref)), byte(len(f.Topic)), byte(len(f.Event)))
	dst = append(dst, f.JoinRef...)
	dst = append(dst, f.Ref...)
	dst = append(dst, f.Topic...)
	dst = append(dst, f.Event...)
	return append(dst, f.Payload...), nil
}

// AppendBinaryServer appends f as a frame the server sends: a reply (kind 1)
// when f.Event is phx_reply (f.Status holds the status), a broadcast (kind 2)
// when f has neither join_ref nor ref, else a push (kind 0, no ref field).
func AppendBinaryServer(dst []byte, f *Frame) ([]byte, error) {
	switch {
	case f.Event == EventReply:
		if err := checkFields(f.JoinRef, f.Ref, f.Topic, f.Status); err != nil {
			return dst, err
		}
		dst = append(dst, KindReply, byte(len(f.JoinRef)), byte(len(f.Ref)), byte(len(f.Topic)), byte(len(f.Status)))
		dst = append(dst, f.JoinRef...)
		dst = append(dst, f.Ref...)
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Status...)
	case f.JoinRef == "" && f.Ref == "":
		if err := checkFields(f.Topic, f.Event); err != nil {
			return dst, err
		}
		dst = append(dst, KindBroadcast, byte(len(f.Topic)), byte(len(f.Event)))
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Event...)
	default:
		if err := checkFields(f.JoinRef, f.Topic, f.Event); err != nil {
			return dst, err
		}
		dst = append(dst, KindPush, byte(len(f.JoinRef)), byte(len(f.Topic)), byte(len(f.Event)))
		dst = append(dst, f.JoinRef...)
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Event...)
	}
	return append(dst, f.Payload...), nil
}

// binReader walks a binary frame's header and strings.
type binReader struct {
	b   []byte
	off int
	err *DecodeError
}

func (r *binReader) lens(n int) []int {
	if r.err != nil {
		return nil
	}
	if len(r.b)-r.off < n {
		r.err = malformed("binary", r.off, "truncated header")
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(r.b[r.off+i])
	}
	r.off += n
	return out
}

func (r *binReader) str(n int) string {
	if r.err != nil {
		return ""
	}
	if len(r.b)-r.off < n {
		r.err = malformed("binary", r.off, "truncated field")
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

// DecodeBinaryServer decodes a binary frame sent by the server: a push
// (kind 0, no ref), a reply (kind 1, event phx_reply with Status set) or a
// broadcast (kind 2). The payload aliases data.
func DecodeBinaryServer(data []byte) (Frame, error) {
	if len(data) == 0 {
		return Frame{}, malformed("binary", 0, "empty frame")
	}
	r := &binReader{b: data, off: 1}
	f := Frame{Binary: true}
	switch data[0] {
	case KindPush:
		l := r.lens(3)
		f.JoinRef, f.Topic, f.Event = r.str(at(l, 0)), r.str(at(l, 1)), r.str(at(l, 2))
	case KindReply:
		l := r.lens(4)
		f.JoinRef, f.Ref, f.Topic, f.Status = r.str(at(l, 0)), r.str(at(l, 1)), r.str(at(l, 2)), r.str(at(l, 3))
		f.Event = EventReply
	case KindBroadcast:
		l := r.lens(2)
		f.Topic, f.Event = r.str(at(l, 0)), r.str(at(l, 1))
	default:
		return Frame{}, malformed("binary", 0, "unknown kind "+itoa(int(data[0])))
	}
	if r.err != nil {
		return Frame{}, r.err
	}
	f.Payload = data[r.off:]
	return f, nil
}

// DecodeBinaryPush decodes a client push (kind 0), as the server reads it.
func DecodeBinaryPush(data []byte) (Frame, error) {
	if len(data) == 0 {
		return Frame{}, malformed("binary", 0, "empty frame")
	}
	if data[0] != KindPush {
		return Frame{}, malformed("binary", 0, "unknown kind "+itoa(int(data[0])))
	}
	r := &binReader{b: data, off: 1}
	l := r.lens(4)
	f := Frame{Binary: true}
	f.JoinRef, f.Ref, f.Topic, f.Event = r.str(at(l, 0)), r.str(at(l, 1)), r.str(at(l, 2)), r.str(at(l, 3))
	if r.err != nil {
		return Frame{}, r.err
	}
	f.Payload = data[r.off:]
	return f, nil
}

func at(l []int, i int) int {
	if i < len(l) {
		return l[i]
	}
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
