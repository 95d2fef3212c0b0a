// Package chaos holds the client's chaos, hostile-input, security and soak
// tests (issue 7): the supervisor against tests/phxtest servers, in-memory
// under testing/synctest where time matters (exact and fast), or on real
// loopback TCP behind tests/faultproxy where TCP behaviour matters
// (half-open connections, resets).
//
// Every scenario prints its figures (recovery times, heap and goroutines
// before and after, frames dropped) with t.Logf; run with -v to see them:
//
//	go test -race -v ./tests/chaos
//	go test -race -run Soak -v ./tests/chaos -soak=2m   # the soak is off by default
//	go test -run '^$' -fuzz FuzzInbound ./tests/chaos   # the inbound path, end to end
//
// The package has no exported API: its content is its tests.
package chaos
