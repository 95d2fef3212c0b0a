package actors

import (
	"sync"
	"testing"
	"time"

	"github.com/rvct/phoenix/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func snapN(n int) *Snapshot { return &Snapshot{Value: n, Status: messages.Ready} }

// spec: M2 — a new subscriber gets the current state at once (before
// Subscribe returns), then every later state in order.
func TestStoreSubscribeCurrentThenInOrder(t *testing.T) {
	st := NewStore(snapN(0), nil)
	var mu sync.Mutex
	var got []int
	done := make(chan struct{})
	cancel := st.Subscribe(func(s *Snapshot) {
		mu.Lock()
		got = append(got, s.Value.(int))
		n := len(got)
		mu.Unlock()
		if n == 11 {
			close(done)
		}
	})
	mu.Lock()
	assert.Equal(t, []int{0}, got, "the current state is delivered during Subscribe")
	mu.Unlock()
	for i := 1; i <= 10; i++ {
		st.Publish(snapN(i))
	}
	<-done
	mu.Lock()
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, got)
	mu.Unlock()
	assert.True(t, cancel())
	assert.False(t, cancel(), "a second cancel does nothing")
	assert.Equal(t, 0, st.Subscribers())
}

// spec: M5 — a slow subscriber never blocks the publisher or the other
// subscribers; it skips intermediate states but ends on the latest.
func TestStoreSlowSubscriber(t *testing.T) {
	st := NewStore(snapN(0), nil)
	release := make(chan struct{})
	var mu sync.Mutex
	var slow []int
	slowDone := make(chan struct{})
	st.Subscribe(func(s *Snapshot) {
		if s.Value.(int) == 1 {
			<-release // stuck on the first state after the current one
		}
		mu.Lock()
		slow = append(slow, s.Value.(int))
		mu.Unlock()
		if s.Value.(int) == 1000 {
			close(slowDone)
		}
	})
	fastDone := make(chan struct{})
	var fast []int
	st.Subscribe(func(s *Snapshot) {
		fast = append(fast, s.Value.(int))
		if s.Value.(int) == 1000 {
			close(fastDone)
		}
	})
	published := make(chan struct{})
	go func() {
		for i := 1; i <= 1000; i++ {
			st.Publish(snapN(i))
		}
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	select {
	case <-fastDone: // the other subscriber got the latest state while the slow one is stuck
	case <-time.After(10 * time.Second):
		t.Fatal("a slow subscriber blocked another one")
	}
	assert.Equal(t, 1000, fast[len(fast)-1])
	close(release)
	<-slowDone
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, slow)
	assert.Equal(t, 1000, slow[len(slow)-1], "the slow subscriber ends on the latest state")
	assert.Less(t, len(slow), 1001, "it skipped intermediate states")
	for i := 1; i < len(slow); i++ {
		assert.Less(t, slow[i-1], slow[i], "still in order")
	}
	assert.Positive(t, st.Stats().StatesSkipped)
}

// A panicking subscriber is contained: later states still reach it.
func TestStoreSubscriberPanics(t *testing.T) {
	st := NewStore(snapN(0), nil)
	done := make(chan struct{})
	st.Subscribe(func(s *Snapshot) {
		switch s.Value.(int) {
		case 0, 1:
			panic("subscriber bug")
		case 2:
			close(done)
		}
	})
	st.Publish(snapN(1))
	st.Publish(snapN(2))
	<-done
}

// An idle store owns no goroutine: delivery goroutines end when the queue
// is empty (checked by goleak at the end of the package's tests too).
func TestStoreNoGoroutineWhenIdle(t *testing.T) {
	st := NewStore(snapN(0), nil)
	got := make(chan int, 10)
	cancel := st.Subscribe(func(s *Snapshot) { got <- s.Value.(int) })
	st.Publish(snapN(1))
	assert.Equal(t, 0, <-got)
	assert.Equal(t, 1, <-got)
	require.Eventually(t, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.subs[0].mu.Lock()
		defer st.subs[0].mu.Unlock()
		return !st.subs[0].running
	}, time.Second, time.Millisecond)
	cancel()
	st.Publish(snapN(2))
	assert.Empty(t, got, "no state after cancel")
}
