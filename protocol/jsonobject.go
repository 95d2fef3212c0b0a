package protocol

// objectWalk reads the members of a JSON object in one pass, checking the
// grammar as it goes and building nothing. Use:
//
//	w := walkObject(b, "reply")
//	for key, val, ok := w.next(); ok; key, val, ok = w.next() { ... }
//	if err := w.finish(); err != nil { ... }
type objectWalk struct {
	b      []byte
	i      int
	format walkFormat
	err    *DecodeError
	closed bool
	// valStart is the offset of the value next returned last.
	valStart int
}

// walkFormat names the DecodeError format of a walk. It is not a string so
// that escape analysis does not see the walked bytes flow into errors.
type walkFormat uint8

const (
	walkJSON walkFormat = iota
	walkReply
	walkV1
)

func (f walkFormat) String() string { return [...]string{"json", "reply", "v1"}[f] }

func walkObject(b []byte, format walkFormat) objectWalk {
	w := objectWalk{b: b, format: format}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		w.err = malformed(format.String(), i, "not a JSON object")
		return w
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		w.closed = true
		i++
	}
	w.i = i
	return w
}

func (w *objectWalk) fail(err *DecodeError) {
	w.err = &DecodeError{Format: w.format.String(), Offset: err.Offset, Reason: err.Reason}
}

// next returns the next member: key is the raw string literal (quotes
// included; compare it with keyIs), val the raw JSON value. ok is false at
// the end of the object or at the first error (see finish).
func (w *objectWalk) next() (key, val []byte, ok bool) {
	if w.err != nil || w.closed {
		return nil, nil, false
	}
	b := w.b
	i := skipWS(b, w.i)
	if i >= len(b) || b[i] != '"' {
		w.fail(malformed("json", i, "expected object key"))
		return nil, nil, false
	}
	kEnd, err := scanString(b, i)
	if err != nil {
		w.fail(err)
		return nil, nil, false
	}
	j := skipWS(b, kEnd)
	if j >= len(b) || b[j] != ':' {
		w.fail(malformed("json", j, "expected :"))
		return nil, nil, false
	}
	vStart := skipWS(b, j+1)
	vEnd, err := scanNested(b, vStart, maxDepth-1) // the object is one level
	if err != nil {
		w.fail(err)
		return nil, nil, false
	}
	j = skipWS(b, vEnd)
	switch {
	case j >= len(b):
		w.fail(malformed("json", j, "unexpected end of input"))
		return nil, nil, false
	case b[j] == ',':
		w.i = j + 1
	case b[j] == '}':
		w.i, w.closed = j+1, true
	default:
		w.fail(malformed("json", j, "expected , or }"))
		return nil, nil, false
	}
	w.valStart = vStart
	return b[i:kEnd], b[vStart:vEnd], true
}

// finish reads what is left of the object and reports the first error, or
// data after the object.
func (w *objectWalk) finish() *DecodeError {
	for {
		if _, _, ok := w.next(); !ok {
			break
		}
	}
	if w.err != nil {
		return w.err
	}
	if i := skipWS(w.b, w.i); i != len(w.b) {
		return malformed(w.format.String(), i, "data after the object")
	}
	return nil
}

// keyIs reports whether the raw string literal raw (as scanString accepted
// it) decodes to name, without allocating for plain keys.
func keyIs(raw []byte, name string) bool {
	inner := raw[1 : len(raw)-1]
	if !needsUnquote(inner) {
		return string(inner) == name
	}
	s, _ := unquote(raw)
	return s == name
}

// objectField returns the raw value of key in the JSON object b (the last
// one when the key repeats, as with encoding/json), or false when b is not a
// valid object or has no such key.
func objectField(b []byte, key string) ([]byte, bool) {
	var out []byte
	w := walkObject(b, walkJSON)
	for k, v, ok := w.next(); ok; k, v, ok = w.next() {
		if keyIs(k, key) {
			out = v
		}
	}
	if w.finish() != nil {
		return nil, false
	}
	return out, out != nil
}
