// Package actors holds the behaviours behind the public supervisor package:
// the socket actor (one websocket connection: read and write pumps,
// heartbeat, refs, routing), the session actor (join state machine, store
// state, pending calls, push buffer, subscriber count), and the System that
// hosts them (actor system, supervision strategy, endpoint pools, registry).
//
// It is untyped inside (any plus closures built by the typed facade in
// package supervisor) and exposes no generics. Only package supervisor
// should import it.
package actors
