package protocol

import (
	"math/rand/v2"
	"time"
)

// Backoff is a retry schedule: the delay before try n (1-based). Past the end
// of Steps every try waits the last step. Jitter, when above zero, spreads
// each delay uniformly over ±Jitter of itself (0.2 = ±20%).
type Backoff struct {
	Steps  []time.Duration
	Jitter float64
}

// Delay returns the wait before try n (n < 1 counts as 1).
func (b Backoff) Delay(n int) time.Duration {
	if len(b.Steps) == 0 {
		return 0
	}
	if n < 1 {
		n = 1
	}
	if n > len(b.Steps) {
		n = len(b.Steps)
	}
	d := b.Steps[n-1]
	if b.Jitter > 0 && d > 0 {
		j := b.Jitter
		if j > 1 {
			j = 1
		}
		f := 1 + j*(2*rand.Float64()-1)
		d = time.Duration(float64(d) * f)
	}
	return d
}

// ReconnectBackoff is the official JavaScript client's socket reconnect
// schedule: 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms, then 5 s.
func ReconnectBackoff() Backoff {
	return Backoff{Steps: []time.Duration{
		10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
		150 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond,
		500 * time.Millisecond, 1000 * time.Millisecond, 2000 * time.Millisecond,
		5000 * time.Millisecond,
	}}
}

// RejoinBackoff is the official client's channel rejoin schedule:
// 1, 2, 5 s, then 10 s.
func RejoinBackoff() Backoff {
	return Backoff{Steps: []time.Duration{
		1 * time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	}}
}
