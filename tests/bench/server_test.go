package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// burnCPU spins until this process has used d more CPU (or 20 s passed).
func burnCPU(t *testing.T, d time.Duration) {
	t.Helper()
	start, err := procCPU(os.Getpid())
	require.NoError(t, err)
	deadline := time.Now().Add(20 * time.Second)
	x := 0
	for time.Now().Before(deadline) {
		for i := range 1_000_000 {
			x += i
		}
		if c, _ := procCPU(os.Getpid()); c-start >= d.Seconds() {
			return
		}
	}
	t.Fatalf("could not burn %s of CPU (%d)", d, x)
}

// The sampler adds up the CPU of every process it followed (W5 restarts the
// server) and sees the busy windows.
func TestCPUSamplerFollowsRestarts(t *testing.T) {
	s := newCPUSampler(os.Getpid())
	burnCPU(t, 300*time.Millisecond)
	s.adopt(os.Getpid()) // as after a restart: what was used so far is kept
	burnCPU(t, 300*time.Millisecond)
	total, peak := s.finish()
	require.GreaterOrEqual(t, total, 0.55)
	require.Less(t, total, 30.0)
	require.Positive(t, peak)
}
