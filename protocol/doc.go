// Package protocol is the Phoenix Channels wire format, pure and free of I/O.
//
// It knows the frame shape of the vsn 2.0.0 serializer (JSON arrays
// [join_ref, ref, topic, event, payload] and the binary frames of kinds 0, 1
// and 2), the legacy vsn 1.0.0 object form, the reserved events, reply
// parsing, per-socket refs, the endpoint URL and auth-token subprotocol, and
// the official clients' backoff schedules.
//
// The JSON decoders are hand-written and reflection-free: they accept exactly
// the JSON that encoding/json accepts (nesting bounded at 10000 levels, as
// there), keep payloads as raw JSON text aliasing the input, and make at most
// one allocation per frame (for its strings; none for well-known names).
//
// Every decoder returns a *DecodeError (matching ErrMalformed) for input it
// cannot parse and never panics; the fuzz targets in this package check that,
// and check the decoders against encoding/json.
package protocol
