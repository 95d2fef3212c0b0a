package main

import "sync"

// itemQueue is the bridge's unbounded FIFO between the sessions (which
// must not block) and the sink. Nothing is dropped: the queue grows while
// the sink is down.
type itemQueue struct {
	mu    sync.Mutex
	items []bridgeItem
	head  int
	wake  chan struct{}
}

func newItemQueue() *itemQueue { return &itemQueue{wake: make(chan struct{}, 1)} }

// Put appends one item; it never blocks.
func (q *itemQueue) Put(it bridgeItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Peek returns up to n items from the head, without removing them.
func (q *itemQueue) Peek(n int) []bridgeItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	end := min(q.head+n, len(q.items))
	return append([]bridgeItem(nil), q.items[q.head:end]...)
}

// Drop removes n items from the head.
func (q *itemQueue) Drop(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := q.head; i < q.head+n && i < len(q.items); i++ {
		q.items[i] = bridgeItem{}
	}
	q.head = min(q.head+n, len(q.items))
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
}

// Len is the number of items waiting.
func (q *itemQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// Wake is signalled after a Put.
func (q *itemQueue) Wake() <-chan struct{} { return q.wake }
