package supervisor

import "github.com/rvct/phoenix/actors"

// Events maps inbound event names to their reducers, as the seed's events:
// the reactive form of channel.on(event, callback). Build each with On.
// Events never touch action buckets; events with no entry are ignored
// (Config.Unhandled sees them) (SPEC E1, E2).
type Events[T any] map[string]EventHandler[T]

// EventHandler reduces one event into the value; build one with On.
type EventHandler[T any] struct {
	fn actors.EventFunc
}

// On builds an event reducer: f gets the current value (nil before one is
// available) and the event payload decoded into M, and returns the next
// value (SPEC E1). f must not modify *value; return a new value instead
// (appending to a copy of a slice, for instance). A payload that does not
// decode, or an f that panics, drops that event: it is logged, counted in
// Stats().EventsDropped, and the session keeps working (SPEC E3). With M
// []byte or json.RawMessage, f gets the raw payload (binary frames too).
func On[T, M any](f func(value *T, payload M) T) EventHandler[T] {
	return EventHandler[T]{fn: func(v any, payload []byte, binary bool) (any, error) {
		m, err := decodePayload[M](payload, binary)
		if err != nil {
			return nil, err
		}
		next := f(valueOf[T](v), m)
		return &next, nil
	}}
}
