package actors

import "github.com/asynkron/protoactor-go/actor"

// joinPacer bounds the joins in flight on one connection (SPEC L5). Every
// operation is O(1) (amortized): a socket may pace 100,000 joins.
//
// Waiting sessions form a FIFO queue; forget only removes a session from
// the waiting set, and release skips the queue entries whose session is no
// longer waiting with that ticket (a session that left and asked again
// waits again at the tail, under a new ticket).
type joinPacer struct {
	inflight map[string]struct{} // session PID ids holding a slot
	waiting  map[string]uint64   // session PID id -> ticket of its queue entry
	queue    []waiter            // queue[head:] in arrival order, stale entries included
	head     int
	ticket   uint64
}

type waiter struct {
	pid    *actor.PID
	ticket uint64
}

func (j *joinPacer) reset() { *j = joinPacer{ticket: j.ticket} }

// acquire takes a slot for pid (true), or queues it (false): it gets one
// from a later release.
func (j *joinPacer) acquire(pid *actor.PID, max int) bool {
	if _, ok := j.inflight[pid.Id]; ok {
		return true
	}
	if len(j.inflight) < max {
		if j.inflight == nil {
			j.inflight = make(map[string]struct{})
		}
		j.inflight[pid.Id] = struct{}{}
		return true
	}
	if _, ok := j.waiting[pid.Id]; ok {
		return false
	}
	if j.waiting == nil {
		j.waiting = make(map[string]uint64)
	}
	j.ticket++
	j.waiting[pid.Id] = j.ticket
	j.queue = append(j.queue, waiter{pid: pid, ticket: j.ticket})
	return false
}

// release frees pid's slot and returns the sessions that may join now.
func (j *joinPacer) release(pid *actor.PID, max int) []*actor.PID {
	delete(j.inflight, pid.Id)
	var next []*actor.PID
	for j.head < len(j.queue) && len(j.inflight) < max {
		w := j.queue[j.head]
		j.queue[j.head] = waiter{}
		j.head++
		if t, ok := j.waiting[w.pid.Id]; !ok || t != w.ticket {
			continue // forgotten, or queued again later
		}
		delete(j.waiting, w.pid.Id)
		j.inflight[w.pid.Id] = struct{}{}
		next = append(next, w.pid)
	}
	j.compact()
	return next
}

// forget drops pid's slot and its place in the queue.
func (j *joinPacer) forget(pid *actor.PID) {
	delete(j.inflight, pid.Id)
	delete(j.waiting, pid.Id)
	j.compact()
}

// compact lets the consumed head of the queue go once it is most of it,
// and drops the maps and the queue once empty (maps never shrink: after
// 100,000 paced joins the waiting map would keep its size for ever).
func (j *joinPacer) compact() {
	if len(j.inflight) == 0 {
		j.inflight = nil
	}
	switch {
	case len(j.waiting) == 0:
		j.waiting, j.queue, j.head = nil, nil, 0
	case j.head > 1024 && j.head*2 > len(j.queue):
		n := copy(j.queue, j.queue[j.head:])
		clear(j.queue[n:])
		j.queue, j.head = j.queue[:n], 0
	}
}
