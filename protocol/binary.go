package protocol

import "fmt"

// Binary frame kinds of the vsn 2.0.0 serializer.
const (
	KindPush      byte = 0
	KindReply     byte = 1
	KindBroadcast byte = 2
)

// MaxBinaryField is the longest join_ref, ref, topic, event or status a binary
// frame can carry: each length is one byte.
const MaxBinaryField = 255

// checkFields returns an error wrapping ErrFieldTooLong when one of fields
// (named by names, in order) is longer than MaxBinaryField bytes.
func checkFields(names []string, fields ...string) error {
	for k, s := range fields {
		if len(s) > MaxBinaryField {
			return fmt.Errorf("%w: %s is %d bytes", ErrFieldTooLong, names[k], len(s))
		}
	}
	return nil
}

// AppendBinaryPush appends f as a client push (kind 0):
// [0][join_ref len][ref len][topic len][event len] join_ref ref topic event payload.
func AppendBinaryPush(dst []byte, f *Frame) ([]byte, error) {
	if err := checkFields(clientPushFields, f.JoinRef, f.Ref, f.Topic, f.Event); err != nil {
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
		if err := checkFields(replyFields, f.JoinRef, f.Ref, f.Topic, f.Status); err != nil {
			return dst, err
		}
		dst = append(dst, KindReply, byte(len(f.JoinRef)), byte(len(f.Ref)), byte(len(f.Topic)), byte(len(f.Status)))
		dst = append(dst, f.JoinRef...)
		dst = append(dst, f.Ref...)
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Status...)
	case f.JoinRef == "" && f.Ref == "":
		if err := checkFields(broadcastFields, f.Topic, f.Event); err != nil {
			return dst, err
		}
		dst = append(dst, KindBroadcast, byte(len(f.Topic)), byte(len(f.Event)))
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Event...)
	default:
		if err := checkFields(serverPushFields, f.JoinRef, f.Topic, f.Event); err != nil {
			return dst, err
		}
		dst = append(dst, KindPush, byte(len(f.JoinRef)), byte(len(f.Topic)), byte(len(f.Event)))
		dst = append(dst, f.JoinRef...)
		dst = append(dst, f.Topic...)
		dst = append(dst, f.Event...)
	}
	return append(dst, f.Payload...), nil
}

// Field names of each binary layout, in header order.
var (
	clientPushFields = []string{"join_ref", "ref", "topic", "event"}
	serverPushFields = []string{"join_ref", "topic", "event"}
	replyFields      = []string{"join_ref", "ref", "topic", "status"}
	broadcastFields  = []string{"topic", "event"}
)

// readBinary reads the header lengths after the kind byte and the strings
// they announce (one allocation for all of them: they are contiguous), and
// returns the payload that follows.
func readBinary(data []byte, names []string) (strs [4]string, payload []byte, err *DecodeError) {
	n := len(names)
	if len(data) < 1+n {
		return strs, nil, malformed("binary", len(data), "truncated header: "+itoa(n)+" length bytes needed, "+itoa(len(data)-1)+" present")
	}
	off := 1 + n
	start := off
	for k, name := range names {
		l := int(data[1+k])
		if len(data)-off < l {
			return strs, nil, malformed("binary", off, "truncated "+name+": header says "+itoa(l)+" bytes, "+itoa(len(data)-off)+" left")
		}
		off += l
	}
	all := string(data[start:off])
	pos := 0
	for k := range names {
		l := int(data[1+k])
		strs[k] = all[pos : pos+l]
		pos += l
	}
	return strs, data[off:], nil
}

// DecodeBinaryServer decodes a binary frame sent by the server: a push
// (kind 0, no ref), a reply (kind 1, event phx_reply with Status set) or a
// broadcast (kind 2). The payload aliases data; the strings do not.
func DecodeBinaryServer(data []byte) (Frame, error) {
	if len(data) == 0 {
		return Frame{}, malformed("binary", 0, "empty frame")
	}
	f := Frame{Binary: true}
	var s [4]string
	var err *DecodeError
	switch data[0] {
	case KindPush:
		s, f.Payload, err = readBinary(data, serverPushFields)
		f.JoinRef, f.Topic, f.Event = s[0], s[1], s[2]
	case KindReply:
		s, f.Payload, err = readBinary(data, replyFields)
		f.JoinRef, f.Ref, f.Topic, f.Status = s[0], s[1], s[2], s[3]
		f.Event = EventReply
	case KindBroadcast:
		s, f.Payload, err = readBinary(data, broadcastFields)
		f.Topic, f.Event = s[0], s[1]
	default:
		return Frame{}, malformed("binary", 0, "unknown kind "+itoa(int(data[0])))
	}
	if err != nil {
		return Frame{}, err
	}
	return f, nil
}

// DecodeBinaryPush decodes a client push (kind 0), as the server reads it.
// The payload aliases data; the strings do not.
func DecodeBinaryPush(data []byte) (Frame, error) {
	if len(data) == 0 {
		return Frame{}, malformed("binary", 0, "empty frame")
	}
	if data[0] != KindPush {
		return Frame{}, malformed("binary", 0, "unknown kind "+itoa(int(data[0]))+" for a client push")
	}
	s, payload, err := readBinary(data, clientPushFields)
	if err != nil {
		return Frame{}, err
	}
	return Frame{JoinRef: s[0], Ref: s[1], Topic: s[2], Event: s[3], Payload: payload, Binary: true}, nil
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
