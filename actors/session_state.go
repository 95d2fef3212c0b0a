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
	// procAlt is a Processing map published before the current one. A call
	// flips its action's flag on and off: the flip back reuses that map
	// (published maps never change) instead of copying one per flip.
	procAlt map[string]bool
}

// draftPool recycles drafts: one is taken per input that changes the state
// (every event of a flood), and given back at the commit.
var draftPool = sync.Pool{New: func() any { return new(draft) }}

func newDraft(from *Snapshot, procAlt map[string]bool) *draft {
	d := draftPool.Get().(*draft)
	*d = draft{s: *from, procAlt: procAlt}
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
		d.putProcessing(action, processing)
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
	d.putProcessing(action, processing)
}

// putProcessing sets Processing[action], reusing procAlt when it is the
// map that results, else copying the map the first time this draft
// changes it.
func (d *draft) putProcessing(action string, processing bool) {
	if d.procOwn {
		d.s.Processing[action] = processing
		return
	}
	cur := d.s.Processing
	if d.procAlt != nil && sameWith(d.procAlt, cur, action, processing) {
		d.s.Processing, d.procAlt = d.procAlt, cur
		return
	}
	d.s.Processing = cloneMap(cur, 1)
	d.s.Processing[action] = processing
	d.procOwn = true
	d.procAlt = cur
}

// sameWith reports whether alt equals cur with cur[k] = v.
func sameWith(alt, cur map[string]bool, k string, v bool) bool {
	if a, ok := alt[k]; !ok || a != v {
		return false
	}
	n := len(cur)
	if _, ok := cur[k]; !ok {
		n++
	}
	if len(alt) != n {
		return false
	}
	for kk, vv := range cur {
		if kk == k {
			continue
		}
		if a, ok := alt[kk]; !ok || a != vv {
			return false
		}
	}
	return true
}

func cloneMap[V any](m map[string]V, extra int) map[string]V {
	out := make(map[string]V, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}
