package protocol

import (
	"errors"
	"fmt"
	"testing"
)

// spec: W6 — decode errors are typed, wrap-friendly and say where they stopped.
func TestDecodeError(t *testing.T) {
	e := &DecodeError{Format: "binary", Offset: 7, Reason: "truncated topic"}
	if e.Error() != "protocol: malformed binary frame: truncated topic at byte 7" {
		t.Errorf("Error() = %q", e.Error())
	}
	e = &DecodeError{Format: "reply", Offset: -1, Reason: "reply has no string status"}
	if e.Error() != "protocol: malformed reply frame: reply has no string status" {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("socket 3: %w", e)
	var de *DecodeError
	if !errors.Is(wrapped, ErrMalformed) || !errors.As(wrapped, &de) || de != e {
		t.Errorf("wrapped error lost its type: %v", wrapped)
	}
	if errors.Is(e, ErrFieldTooLong) || errors.Is(e, ErrBadEndpoint) || errors.Is(ErrFieldTooLong, ErrMalformed) {
		t.Error("sentinels match each other")
	}
	_, err := DecodeText([]byte(`[null,null,"t","e",{"a":1,}]`))
	if !errors.As(err, &de) || de.Offset != 26 || de.Reason != "expected object key" {
		t.Errorf("offset of a trailing comma: %+v", err)
	}
	f := Frame{Event: "new_msg"}
	if _, err := f.Reply(); err == nil || err.Error() != "protocol: malformed reply frame: event is new_msg, not phx_reply" {
		t.Errorf("Reply() of a push: %v", err)
	}
}
