package protocol

import (
	"strconv"
	"sync"
	"testing"
)

// spec: K3 — refs are "1", "2", ... and Last follows them.
func TestRefsSequence(t *testing.T) {
	var r Refs
	if r.Last() != "" {
		t.Fatalf("Last before first = %q", r.Last())
	}
	for i := 1; i <= 1000; i++ {
		if got := r.Next(); got != strconv.Itoa(i) {
			t.Fatalf("ref %d = %q", i, got)
		}
		if r.Last() != strconv.Itoa(i) {
			t.Fatalf("Last = %q after %d", r.Last(), i)
		}
	}
}

// spec: K3 — refs stay unique and increasing under concurrent use (run with -race).
func TestRefsConcurrent(t *testing.T) {
	const workers, each = 8, 2000
	var r Refs
	results := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := strconv.ParseUint(r.Next(), 10, 64)
				if err != nil {
					t.Error(err)
					return
				}
				results[w] = append(results[w], n)
			}
		}()
	}
	wg.Wait()
	seen := make(map[uint64]bool, workers*each)
	for w, rs := range results {
		for i, n := range rs {
			if seen[n] {
				t.Fatalf("ref %d handed out twice", n)
			}
			seen[n] = true
			if i > 0 && n <= rs[i-1] {
				t.Fatalf("worker %d: ref %d after %d", w, n, rs[i-1])
			}
		}
	}
	for n := uint64(1); n <= workers*each; n++ {
		if !seen[n] {
			t.Fatalf("ref %d skipped", n)
		}
	}
	if r.Last() != strconv.Itoa(workers*each) {
		t.Fatalf("Last = %s", r.Last())
	}
}
