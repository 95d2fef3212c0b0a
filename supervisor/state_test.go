package supervisor

import (
	"reflect"
	"testing"

	"github.com/rvct/phoenix/actors"
	"github.com/rvct/phoenix/messages"
	"github.com/stretchr/testify/assert"
)

// spec: S1 — State has exactly the seed's six fields, in its order.
func TestStateHasTheSeedsSixFields(t *testing.T) {
	typ := reflect.TypeFor[State[int]]()
	var names []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	assert.Equal(t, []string{"Value", "Status", "Error", "Processing", "Errors", "Timeouts"}, names)
	assert.Equal(t, reflect.TypeFor[*int](), typ.Field(0).Type, "Value is nil before a value is available")
}

// spec: S1, S4 — a State views its snapshot without copying the maps.
func TestStateOfSnapshot(t *testing.T) {
	v := 7
	snap := &actors.Snapshot{
		Value:      &v,
		Status:     messages.Stale,
		Error:      &messages.StateError{Kind: messages.KindTransport},
		Processing: map[string]bool{"send": true},
		Errors:     map[string]any{"send": nil},
		Timeouts:   map[string]bool{"send": false},
	}
	s := stateOf[int](snap)
	assert.Same(t, &v, s.Value)
	assert.Equal(t, Stale, s.Status)
	assert.Equal(t, KindTransport, s.Error.Kind)
	assert.Equal(t, reflect.ValueOf(snap.Processing).Pointer(), reflect.ValueOf(s.Processing).Pointer())
	empty := stateOf[int](&actors.Snapshot{})
	assert.Nil(t, empty.Value)
	assert.Nil(t, stateOf[string](snap).Value, "another type reads as no value")
}
