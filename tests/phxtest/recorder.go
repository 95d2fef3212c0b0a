package phxtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// Direction says which way a recorded frame went.
type Direction int

const (
	// FromClient is a frame the server received.
	FromClient Direction = iota + 1
	// ToClient is a frame the server sent.
	ToClient
)

// String returns "in" (from the client) or "out" (to the client).
func (d Direction) String() string {
	if d == FromClient {
		return "in"
	}
	return "out"
}

// Record is one recorded websocket message.
type Record struct {
	Conn      *Conn
	Dir       Direction
	Opcode    int    // websocket.TextMessage, BinaryMessage, CloseMessage or PongMessage
	Data      []byte // the message as it went on the wire (do not modify)
	CloseCode int    // the code of a close frame
	Time      time.Time
}

// IsClose reports whether r is a close frame.
func (r Record) IsClose() bool { return r.Opcode == websocket.CloseMessage }

// Frame decodes a text or binary record with its connection's serializer.
func (r Record) Frame() (protocol.Frame, error) {
	if r.Opcode != websocket.TextMessage && r.Opcode != websocket.BinaryMessage {
		return protocol.Frame{}, &protocol.DecodeError{Format: "record", Offset: -1, Reason: "not a data frame"}
	}
	ser := protocol.V2
	if r.Conn != nil {
		ser = r.Conn.ser
	}
	bin := r.Opcode == websocket.BinaryMessage
	if r.Dir == FromClient {
		return ser.DecodeClient(r.Data, bin)
	}
	return ser.DecodeServer(r.Data, bin)
}

// String describes the record in one line.
func (r Record) String() string {
	n := uint64(0)
	if r.Conn != nil {
		n = r.Conn.num
	}
	switch r.Opcode {
	case websocket.CloseMessage:
		return fmt.Sprintf("conn %d %s close %d", n, r.Dir, r.CloseCode)
	case websocket.BinaryMessage:
		return fmt.Sprintf("conn %d %s binary %x", n, r.Dir, r.Data)
	default:
		return fmt.Sprintf("conn %d %s %s", n, r.Dir, r.Data)
	}
}

// Recorder keeps every frame the server receives and sends, per connection
// and in order. Pass it with WithRecorder. Safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	recs    []Record
	changed chan struct{}
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

func (r *Recorder) add(rec Record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	r.mu.Unlock()
}

// Records returns a copy of everything recorded so far.
func (r *Recorder) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.recs...)
}

// Len returns how many records there are.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// Filter returns the records for which match is true.
func (r *Recorder) Filter(match func(Record) bool) []Record {
	var out []Record
	for _, rec := range r.Records() {
		if match(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// Reset forgets every record.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.recs = nil
	r.mu.Unlock()
}

// Wait returns the first record, old or new, for which match is true,
// waiting for it until ctx ends.
func (r *Recorder) Wait(ctx context.Context, match func(Record) bool) (Record, error) {
	rec, _, err := r.WaitFrom(ctx, 0, match)
	return rec, err
}

// WaitFrom is Wait over the records from index from on; it also returns the
// index after the match, to continue from.
func (r *Recorder) WaitFrom(ctx context.Context, from int, match func(Record) bool) (Record, int, error) {
	for {
		r.mu.Lock()
		if from > len(r.recs) {
			from = len(r.recs)
		}
		batch := r.recs[from:] // records are never modified once added
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		for i, rec := range batch {
			if match(rec) {
				return rec, from + i + 1, nil
			}
		}
		from += len(batch)
		select {
		case <-ch:
		case <-ctx.Done():
			return Record{}, from, ctx.Err()
		}
	}
}

// Event matches frames of event on topic (either empty: any).
func Event(topic, event string) func(Record) bool {
	return func(r Record) bool {
		f, err := r.Frame()
		return err == nil && (topic == "" || f.Topic == topic) && (event == "" || f.Event == event)
	}
}

// recordClientClose records a close frame the client sent.
func (s *Server) recordClientClose(c *Conn, code int) {
	if s.rec != nil {
		s.rec.add(Record{Conn: c, Dir: FromClient, Opcode: websocket.CloseMessage, CloseCode: code, Time: time.Now()})
	}
}
