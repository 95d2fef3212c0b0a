package protocol

import (
	"errors"
	"strconv"
)

// ErrMalformed is matched (errors.Is) by every *DecodeError.
var ErrMalformed = errors.New("protocol: malformed frame")

// ErrFieldTooLong is returned when a binary frame field exceeds 255 bytes.
var ErrFieldTooLong = errors.New("protocol: binary frame field longer than 255 bytes")

// ErrBadEndpoint is matched by errors about an endpoint URL that cannot be used.
var ErrBadEndpoint = errors.New("protocol: bad endpoint URL")

// DecodeError says why a frame could not be decoded. It matches ErrMalformed.
type DecodeError struct {
	Format string // "json", "binary", "v1", "reply"
	Offset int    // byte offset where decoding stopped, -1 when unknown
	Reason string
}

func (e *DecodeError) Error() string {
	s := "protocol: malformed " + e.Format + " frame: " + e.Reason
	if e.Offset >= 0 {
		s += " at byte " + strconv.Itoa(e.Offset)
	}
	return s
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

func malformed(format string, off int, reason string) *DecodeError {
	return &DecodeError{Format: format, Offset: off, Reason: reason}
}
