package supervisor

import (
	"encoding/json"
	"reflect"
	"unsafe"
)

// Connect shapes a join's outcome, as the seed's connect: Ok turns the join
// reply into the value (SPEC J1), Error turns a join error reply into the
// cause shown in State.Error (SPEC J2). Both are optional.
type Connect[T any] struct {
	// Ok, built with OnJoin, returns the value after a successful join or
	// rejoin. Unset, a join keeps the value as it is and only marks the
	// session ready.
	Ok JoinHandler[T]
	// Error, built with OnJoinError, returns the cause of a refused join.
	// Unset, the cause is the reply decoded as plain JSON (map[string]any).
	Error JoinErrorHandler
}

// JoinHandler turns a join reply into the value; build one with OnJoin.
type JoinHandler[T any] struct {
	fn func(value any, response []byte) (any, error)
}

// JoinErrorHandler turns a join error reply into a cause; build one with
// OnJoinError.
type JoinErrorHandler struct {
	fn func(response []byte) (any, error)
}

// OnJoin builds a Connect.Ok handler: f gets the current value (nil before
// one is available) and the join reply decoded into R, and returns the next
// value. It runs at every successful (re)join (SPEC J1, L1). f must not
// modify *value; return a new value instead. A reply that does not decode
// into R leaves the value as it is; it is logged and counted (SPEC E3).
func OnJoin[T, R any](f func(value *T, reply R) T) JoinHandler[T] {
	return JoinHandler[T]{fn: func(v any, response []byte) (any, error) {
		r, err := decodePayload[R](response, false)
		if err != nil {
			return nil, err
		}
		next := f(valueOf[T](v), r)
		return &next, nil
	}}
}

// OnJoinError builds a Connect.Error handler: f gets the join error reply
// decoded into R and returns the cause for State.Error (SPEC J2), e.g. the
// reply's reason. A reply that does not decode into R is kept as plain JSON.
func OnJoinError[R any](f func(reply R) any) JoinErrorHandler {
	return JoinErrorHandler{fn: func(response []byte) (any, error) {
		r, err := decodePayload[R](response, false)
		if err != nil {
			return nil, err
		}
		return f(r), nil
	}}
}

// decodePayload decodes a payload into M. A []byte or json.RawMessage M gets
// the payload bytes as they are (the only way to receive a binary frame);
// anything else is decoded from JSON.
func decodePayload[M any](payload []byte, binary bool) (M, error) {
	var m M
	switch t := reflect.TypeFor[M](); t {
	case bytesType, rawMessageType:
		*(*[]byte)(unsafe.Pointer(&m)) = append([]byte(nil), payload...)
		return m, nil
	}
	if binary {
		return m, errBinaryPayload
	}
	if p := planFor(reflect.TypeFor[M]()); p != nil && p.decode(payload, unsafe.Pointer(&m)) {
		return m, nil
	}
	// Decode from scratch (m may be partly written); a separate variable
	// keeps m off the heap on the fast path.
	var slow M
	err := json.Unmarshal(payload, &slow)
	return slow, err
}

var (
	bytesType      = reflect.TypeFor[[]byte]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)
