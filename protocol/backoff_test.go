package protocol

import (
	"testing"
	"time"
)

const ms = time.Millisecond

// spec: K1 — the official client's reconnect schedule.
func TestReconnectBackoff(t *testing.T) {
	want := []time.Duration{10 * ms, 50 * ms, 100 * ms, 150 * ms, 200 * ms, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 5000 * ms, 5000 * ms, 5000 * ms}
	b := ReconnectBackoff()
	for n := 1; n <= 12; n++ {
		if got := b.Delay(n); got != want[n-1] {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want[n-1])
		}
	}
	if b.Delay(0) != 10*ms || b.Delay(-3) != 10*ms || b.Delay(1<<40) != 5000*ms {
		t.Errorf("out of range tries: %v %v %v", b.Delay(0), b.Delay(-3), b.Delay(1<<40))
	}
	// Each call returns its own schedule.
	b.Steps[0] = time.Hour
	if ReconnectBackoff().Delay(1) != 10*ms {
		t.Error("ReconnectBackoff shares its steps")
	}
}

// spec: J4 — the official client's rejoin schedule.
func TestRejoinBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}
	b := RejoinBackoff()
	for n := 1; n <= len(want); n++ {
		if got := b.Delay(n); got != want[n-1] {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want[n-1])
		}
	}
}

// spec: K1, J4 — jitter spreads a delay within ±Jitter of itself.
func TestBackoffJitter(t *testing.T) {
	for _, j := range []float64{0.1, 0.5, 1, 3} {
		b := ReconnectBackoff()
		b.Jitter = j
		eff := min(j, 1)
		for n := 1; n <= 11; n++ {
			base := ReconnectBackoff().Delay(n)
			lo, hi := time.Duration(float64(base)*(1-eff)), time.Duration(float64(base)*(1+eff))
			seen := map[time.Duration]bool{}
			for range 300 {
				d := b.Delay(n)
				if d < lo || d > hi {
					t.Fatalf("jitter %v: Delay(%d) = %v, outside [%v, %v]", j, n, d, lo, hi)
				}
				seen[d] = true
			}
			if len(seen) < 10 {
				t.Errorf("jitter %v: Delay(%d) took only %d values in 300 tries", j, n, len(seen))
			}
		}
	}
	for _, j := range []float64{0, -1} {
		b := RejoinBackoff()
		b.Jitter = j
		if b.Delay(2) != 2*time.Second {
			t.Errorf("jitter %v changes the delay: %v", j, b.Delay(2))
		}
	}
	if d := (Backoff{}).Delay(3); d != 0 {
		t.Errorf("empty schedule: %v", d)
	}
	if d := (Backoff{Steps: []time.Duration{0}, Jitter: 0.5}).Delay(1); d != 0 {
		t.Errorf("zero step with jitter: %v", d)
	}
}
