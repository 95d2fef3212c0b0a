package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// outQueue writes lines to w from a goroutine of its own, so that code that
// must not block (a session's event handler) can print: Put never blocks
// and never drops; lines are written in Put order. Close writes what is
// queued and stops the goroutine.
type outQueue struct {
	w    io.Writer
	wake chan struct{}
	done chan struct{}

	mu     sync.Mutex
	lines  [][]byte
	closed bool
	err    error
}

func newOutQueue(w io.Writer) *outQueue {
	q := &outQueue{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go q.loop()
	return q
}

// Put queues one line (a newline is added).
func (q *outQueue) Put(line []byte) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.lines = append(q.lines, append(line, '\n'))
	select { // under mu: Close cannot close wake meanwhile
	case q.wake <- struct{}{}:
	default:
	}
	q.mu.Unlock()
}

// PutJSON queues v as one JSON line.
func (q *outQueue) PutJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = fmt.Appendf(nil, `{"error":%q}`, err.Error())
	}
	q.Put(b)
}

// Close writes the queued lines and waits for the writer; it returns the
// first write error. Idempotent.
func (q *outQueue) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.wake)
	}
	q.mu.Unlock()
	<-q.done
	return q.err
}

func (q *outQueue) loop() {
	defer close(q.done)
	var buf []byte
	for {
		_, open := <-q.wake
		q.mu.Lock()
		batch := q.lines
		q.lines = nil
		q.mu.Unlock()
		buf = buf[:0]
		for _, l := range batch {
			buf = append(buf, l...)
		}
		if len(buf) > 0 {
			if _, err := q.w.Write(buf); err != nil && q.err == nil {
				q.err = err
			}
		}
		if !open {
			return
		}
	}
}
