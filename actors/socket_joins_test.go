package actors

import (
	"strconv"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func pacerPIDs(n int) []*actor.PID {
	out := make([]*actor.PID, n)
	for i := range out {
		out[i] = actor.NewPID("nonhost", "session/"+strconv.Itoa(i))
	}
	return out
}

func ids(pids []*actor.PID) []string {
	out := make([]string, len(pids))
	for i, p := range pids {
		out[i] = p.Id
	}
	return out
}

func TestJoinPacerFIFO(t *testing.T) {
	// spec: L5 — at most max joins in flight; waiters get their slot in
	// arrival order, one per release; asking twice neither takes two slots
	// nor queues twice.
	var j joinPacer
	p := pacerPIDs(5)
	if !j.acquire(p[0], 2) || !j.acquire(p[1], 2) || !j.acquire(p[0], 2) {
		t.Fatal("the first two sessions (and a repeat) must get slots")
	}
	for _, pid := range p[2:] {
		if j.acquire(pid, 2) {
			t.Fatalf("%s got a third slot", pid.Id)
		}
	}
	if j.acquire(p[2], 2) {
		t.Fatal("a waiter asking again got a slot")
	}
	if got := ids(j.release(p[0], 2)); len(got) != 1 || got[0] != p[2].Id {
		t.Fatalf("release gave %v, want [%s]", got, p[2].Id)
	}
	if got := ids(j.release(p[1], 2)); len(got) != 1 || got[0] != p[3].Id {
		t.Fatalf("release gave %v, want [%s]", got, p[3].Id)
	}
	if got := ids(j.release(p[2], 2)); len(got) != 1 || got[0] != p[4].Id {
		t.Fatalf("release gave %v, want [%s] (p[2] queued once)", got, p[4].Id)
	}
	if got := j.release(p[3], 2); len(got) != 0 {
		t.Fatalf("release with nobody waiting gave %v", ids(got))
	}
	j.release(p[4], 2)
	if j.inflight != nil || j.waiting != nil || j.queue != nil {
		t.Fatal("an idle pacer keeps its maps or queue")
	}
}

func TestJoinPacerForget(t *testing.T) {
	// spec: L5 — a session that detaches leaves the queue; one that asks
	// again afterwards waits at the tail, and is let go once.
	var j joinPacer
	p := pacerPIDs(4)
	j.acquire(p[0], 1)
	j.acquire(p[1], 1)
	j.acquire(p[2], 1)
	j.forget(p[1])
	j.acquire(p[3], 1)
	j.acquire(p[1], 1) // back, behind p[3]
	var order []string
	next := j.release(p[0], 1)
	for len(next) > 0 {
		order = append(order, ids(next)...)
		next = j.release(next[0], 1)
	}
	want := []string{p[2].Id, p[3].Id, p[1].Id}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
}

func TestJoinPacerReset(t *testing.T) {
	// spec: L5 — a new connection starts with no join in flight.
	var j joinPacer
	p := pacerPIDs(3)
	j.acquire(p[0], 1)
	j.acquire(p[1], 1)
	j.reset()
	if !j.acquire(p[2], 1) {
		t.Fatal("no slot after a reset")
	}
	if got := j.release(p[2], 1); len(got) != 0 {
		t.Fatalf("a waiter of the old connection was let go: %v", ids(got))
	}
}

// BenchmarkJoinPacer: one session queued and let go behind 100,000 others
// (SPEC L5 pacing of W1): constant time per join, whatever the queue length.
func BenchmarkJoinPacer(b *testing.B) {
	const queued = 100_000
	var j joinPacer
	p := pacerPIDs(queued + 32)
	for _, pid := range p {
		j.acquire(pid, 32)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// One slot frees, the head waiter takes it, and it rejoins the tail.
		done := p[i%len(p)]
		next := j.release(done, 32)
		if len(next) != 1 {
			b.Fatalf("release let %d go", len(next))
		}
		j.acquire(done, 32)
		i++
	}
}
