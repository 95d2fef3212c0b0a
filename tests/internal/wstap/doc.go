// Package wstap watches the websocket frames on a client's connection
// without taking part in it: Scanner follows a byte stream fed in arbitrary
// pieces and hands over the payload of each small text frame, and Tap wraps
// a net.Conn so that both directions go through a Scanner. The tests use it
// to see on the wire what a client they cannot reach inside (the library's)
// writes and reads: joins in flight, heartbeats.
package wstap
