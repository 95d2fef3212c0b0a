package actors

import (
	"sync"

	"github.com/rvct/phoenix/messages"
)

// Snapshot is one immutable state of a session store (SPEC S1, S4): the
// seed's six fields, untyped. Nothing changes a Snapshot or its maps after it
// is published; a change builds a new Snapshot and copies a bucket map only
// when that map changes (copy-on-write), so an event shares the maps of the
// state before it.
type Snapshot struct {
	// Value is the channel state (the typed facade stores a *T), or nil.
	Value any
	// Status is loading, ready, stale or failed.
	Status messages.Status
	// Error is nil while healthy.
	Error *messages.StateError
	// Processing[action] is true while the latest run of action waits for its reply.
	Processing map[string]bool
	// Errors[action] is the latest run's error reply (decoded), or nil when clear.
	Errors map[string]any
	// Timeouts[action] is true when the latest run timed out.
	Timeouts map[string]bool
}

// emptyBuckets are shared by every snapshot of a session with no action.
var (
	emptyProcessing = map[string]bool{}
	emptyErrors     = map[string]any{}
	emptyTimeouts   = map[string]bool{}
)

// draft is the working copy of the next snapshot while the machine handles
// one input. Each bucket map is copied at most once per draft, and only when
// it changes.
type draft struct {
	s                      Snapshot
	procOwn, errOwn, toOwn bool
}

// draftPool recycles drafts: one is taken per input that changes the state
// (every event of a flood), and given back at the commit.
var draftPool = sync.Pool{New: func() any { return new(draft) }}

func newDraft(from *Snapshot) *draft {
	d := draftPool.Get().(*draft)
	*d = draft{s: *from}
	return d
}

// release clears d (it must not keep a state alive) and pools it.
func (d *draft) release() {
	*d = draft{}
	draftPool.Put(d)
}

// setBucket writes one action's bucket entries, copying a map the first time
// this draft changes it.
func (d *draft) setBucket(action string, processing bool, errValue any, timeout bool) {
	if p, ok := d.s.Processing[action]; !ok || p != processing {
		if !d.procOwn {
			d.s.Processing = cloneMap(d.s.Processing, 1)
			d.procOwn = true
		}
		d.s.Processing[action] = processing
	}
	if e, ok := d.s.Errors[action]; !ok || e != nil || errValue != nil {
		if !d.errOwn {
			d.s.Errors = cloneMap(d.s.Errors, 1)
			d.errOwn = true
		}
		d.s.Errors[action] = errValue
	}
	if to, ok := d.s.Timeouts[action]; !ok || to != timeout {
		if !d.toOwn {
			d.s.Timeouts = cloneMap(d.s.Timeouts, 1)
			d.toOwn = true
		}
		d.s.Timeouts[action] = timeout
	}
}

// setProcessing clears only the processing flag of action (a call that ended
// without a reply and without timing out).
func (d *draft) setProcessing(action string, processing bool) {
	if p, ok := d.s.Processing[action]; ok && p == processing {
		return
	}
	if !d.procOwn {
		d.s.Processing = cloneMap(d.s.Processing, 1)
		d.procOwn = true
	}
	d.s.Processing[action] = processing
}

func cloneMap[V any](m map[string]V, extra int) map[string]V {
	out := make(map[string]V, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}
