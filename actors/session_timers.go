package actors

import (
	"time"
)

// timerLane runs a session's timers of one duration (the first one asked
// for; the join and call timeouts share the default of 10 s) on a single
// time.Timer: deadlines of one duration come in the order they are set, so
// a FIFO holds them and the timer is armed for the head. A call costs an
// append and a flag instead of a runtime timer (an allocation and the
// timer heap's lock at its start and at its end). It is touched by the
// session's actor only; the timer's callback only sends laneTick.
type timerLane struct {
	port  *actorPort
	d     time.Duration
	q     []*laneEntry // q[head:] by deadline, cancelled ones included
	head  int
	live  int // entries neither cancelled nor fired
	t     *time.Timer
	armed bool
	// firing: fire is handing expired messages to the machine, which may
	// cancel or add entries: no compaction meanwhile.
	firing bool
}

type laneEntry struct {
	at   time.Time
	msg  any
	off  bool // cancelled or fired
	lane *timerLane
}

// laneTick: the lane's head may be due.
type laneTick struct{}

func (laneTick) IgnoreDeadLetterLogging() {}

// after queues msg for d from now on p's lane when d is the lane's
// duration, else on a timer of its own.
func (p *actorPort) after(d time.Duration, msg any) func() {
	if p.lane == nil {
		p.lane = &timerLane{port: p, d: d}
	}
	l := p.lane
	if d != l.d {
		root, self := p.sys.as.Root, p.self
		t := time.AfterFunc(d, func() { root.Send(self, msg) })
		return func() { t.Stop() }
	}
	e := &laneEntry{at: time.Now().Add(d), msg: msg, lane: l}
	l.q = append(l.q, e)
	l.live++
	if _, ok := msg.(callTimedOut); ok {
		p.calls = true
	}
	if !l.armed {
		p.arm()
	}
	return e.cancel
}

func (e *laneEntry) cancel() {
	if e.off {
		return
	}
	e.off = true
	l := e.lane
	l.live--
	l.compact()
}

// arm sets the timer for the head's deadline.
func (p *actorPort) arm() {
	l := p.lane
	for l.head < len(l.q) && l.q[l.head].off {
		l.q[l.head] = nil
		l.head++
	}
	if l.head == len(l.q) {
		return
	}
	d := time.Until(l.q[l.head].at)
	if l.t == nil {
		root, self := p.sys.as.Root, p.self
		l.t = time.AfterFunc(d, func() { root.Send(self, laneTick{}) })
	} else {
		l.t.Reset(d)
	}
	l.armed = true
}

// fire hands every due message to the machine, then arms for the next.
func (p *actorPort) fire(handle func(msg any) any) {
	l := p.lane
	if l == nil {
		return
	}
	l.armed = false
	l.firing = true
	now := time.Now()
	for l.head < len(l.q) && !l.q[l.head].at.After(now) {
		e := l.q[l.head]
		l.q[l.head] = nil
		l.head++
		if !e.off {
			e.off = true
			l.live--
			handle(e.msg)
		}
	}
	l.firing = false
	l.compact()
	if p.lane == l && !l.armed {
		p.arm()
	}
}

// compact drops cancelled entries once they are most of the queue. Once
// nothing is pending the timer stops; the lane of a session that never
// made a call (only join timeouts: an idle joined session) is let go with
// its timer, that of a session that makes calls is kept for the next call
// (no lane or timer allocated per call).
func (l *timerLane) compact() {
	if l.firing {
		return
	}
	if l.live == 0 {
		if l.t != nil {
			l.t.Stop()
		}
		clear(l.q)
		l.q, l.head, l.armed = l.q[:0], 0, false
		if !l.port.calls {
			l.t, l.q = nil, nil
			if l.port.lane == l {
				l.port.lane = nil
			}
		}
		return
	}
	if n := len(l.q) - l.head; n > 64 && l.live*2 < n {
		k := 0
		for _, e := range l.q[l.head:] {
			if !e.off {
				l.q[k] = e
				k++
			}
		}
		clear(l.q[k:])
		l.q, l.head = l.q[:k], 0
	}
}
