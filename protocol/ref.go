package protocol

import (
	"strconv"
	"sync/atomic"
)

// Refs hands out the refs of one socket: "1", "2", ... unique and increasing
// for the socket's life (a reconnect does not reset them). Safe for
// concurrent use. The zero value is ready.
type Refs struct{ n atomic.Uint64 }

// Next returns the next ref.
func (r *Refs) Next() string { return strconv.FormatUint(r.n.Add(1), 10) }

// Last returns the last ref handed out, or "" before the first.
func (r *Refs) Last() string {
	n := r.n.Load()
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}
