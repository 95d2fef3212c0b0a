package actors

import (
	"reflect"
	"testing"
)

func TestDraftProcessingFlipReusesPublishedMap(t *testing.T) {
	// spec: S1, S4 — published bucket maps never change; a call flipping
	// its action's processing flag on and off reuses the map published
	// before instead of copying one per flip.
	m0 := map[string]bool{"a": false, "b": false}
	s0 := &Snapshot{Processing: m0, Errors: emptyErrors, Timeouts: emptyTimeouts}

	d := newDraft(s0, nil)
	d.setProcessing("a", true)
	s1, alt := d.s, d.procAlt
	d.release()
	if !reflect.DeepEqual(s1.Processing, map[string]bool{"a": true, "b": false}) {
		t.Fatalf("after the flip on: %v", s1.Processing)
	}
	if !reflect.DeepEqual(m0, map[string]bool{"a": false, "b": false}) {
		t.Fatalf("the published map changed: %v", m0)
	}

	d = newDraft(&s1, alt)
	d.setProcessing("a", false)
	s2, alt := d.s, d.procAlt
	d.release()
	if reflect.ValueOf(s2.Processing).Pointer() != reflect.ValueOf(m0).Pointer() {
		t.Fatal("the flip back copied a map instead of reusing the one published before")
	}
	if !reflect.DeepEqual(s1.Processing, map[string]bool{"a": true, "b": false}) {
		t.Fatalf("a published map changed: %v", s1.Processing)
	}

	// Another action: the kept map is not the result, so a copy is made.
	d = newDraft(&s2, alt)
	d.setBucket("b", true, nil, false)
	s3 := d.s
	d.release()
	if !reflect.DeepEqual(s3.Processing, map[string]bool{"a": false, "b": true}) {
		t.Fatalf("after b on: %v", s3.Processing)
	}
	for _, m := range []map[string]bool{m0, s1.Processing} {
		if reflect.ValueOf(s3.Processing).Pointer() == reflect.ValueOf(m).Pointer() {
			t.Fatal("b's flip reused a map with other contents")
		}
	}
	if !reflect.DeepEqual(m0, map[string]bool{"a": false, "b": false}) ||
		!reflect.DeepEqual(s1.Processing, map[string]bool{"a": true, "b": false}) {
		t.Fatalf("published maps changed: %v %v", m0, s1.Processing)
	}
}

func TestSameWith(t *testing.T) {
	cur := map[string]bool{"a": true}
	for _, c := range []struct {
		alt  map[string]bool
		k    string
		v    bool
		want bool
	}{
		{map[string]bool{"a": false}, "a", false, true},
		{map[string]bool{"a": true}, "a", false, false},
		{map[string]bool{"a": true, "b": true}, "b", true, true},
		{map[string]bool{"a": false, "b": true}, "b", true, false},
		{map[string]bool{"b": true}, "b", true, false},
		{map[string]bool{"a": true, "b": true, "c": true}, "b", true, false},
	} {
		if got := sameWith(c.alt, cur, c.k, c.v); got != c.want {
			t.Errorf("sameWith(%v, %v, %s=%v) = %v", c.alt, cur, c.k, c.v, got)
		}
	}
}

func TestMachineEventHandlersSliceAndMap(t *testing.T) {
	// spec: E1 — every declared handler is found by its event name, with
	// few handlers (kept in a slice) and many (kept in the map).
	for _, n := range []int{1, maxEventSlice, maxEventSlice + 3} {
		events := map[string]EventFunc{}
		for i := range n {
			v := i
			events["ev"+string(rune('a'+i))] = func(any, []byte, bool) (any, error) { return v, nil }
		}
		m := newSessionMachine(SessionConfig{Topic: "t", Events: events}, &fakePort{}, &sessionCounters{})
		for i := range n {
			h := m.handler("ev" + string(rune('a'+i)))
			if h == nil {
				t.Fatalf("%d handlers: ev%c not found", n, 'a'+i)
			}
			if v, _ := h(nil, nil, false); v != i {
				t.Fatalf("%d handlers: ev%c gave %v", n, 'a'+i, v)
			}
		}
		if m.handler("other") != nil {
			t.Fatalf("%d handlers: an undeclared event has a handler", n)
		}
	}
}

func TestSessionDoneMadeOnDemand(t *testing.T) {
	// spec: K9 — Done is closed once the session stopped, whether it was
	// asked for before or after; an idle session holds no channel.
	before := &Session{}
	if before.done.Load() != nil {
		t.Fatal("a new session holds a done channel")
	}
	ch := before.Done()
	if before.Stopped() {
		t.Fatal("stopped before stopping")
	}
	before.stopped()
	after := &Session{}
	after.stopped()
	for _, c := range []<-chan struct{}{ch, after.Done()} {
		select {
		case <-c:
		default:
			t.Fatal("Done not closed after the session stopped")
		}
	}
	if !before.Stopped() || !after.Stopped() {
		t.Fatal("Stopped is false after the session stopped")
	}
	before.stopped() // a second stop is harmless
}

func TestSessionUnchangedBucketPublishesNothing(t *testing.T) {
	// spec: S1, A1 — a call started while its action already shows
	// processing (another run in flight), and an older run's reply, make
	// no new state: nothing is published; the latest run's reply is.
	h, def, jr := joinedHarness(t)
	h.call(def, `{}`)
	first := h.link.last(t).Ref
	n := len(h.port.published)
	h.call(def, `{}`)
	second := h.link.last(t).Ref
	if len(h.port.published) != n {
		t.Fatalf("a second call with processing already on published %d states", len(h.port.published)-n)
	}
	h.reply(jr, first, "ok", `{}`) // not the latest run: the bucket stays
	if len(h.port.published) != n {
		t.Fatal("an older run's reply published a state")
	}
	h.reply(jr, second, "ok", `{}`)
	if len(h.port.published) != n+1 || h.state().Processing[def.Name] {
		t.Fatalf("the latest run's reply: %d new states, processing %v", len(h.port.published)-n, h.state().Processing[def.Name])
	}
}
