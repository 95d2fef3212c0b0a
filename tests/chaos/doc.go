// Package chaos holds the client's chaos, hostile-input, security and soak
// tests (issue 7): the supervisor against tests/phxtest servers, in-memory
// under testing/synctest where time matters (exact and fast), or on real
// loopback TCP behind tests/faultproxy where TCP behaviour matters
// (half-open connections, resets).
//
// The scenarios, and the bounds they document:
//
//   - TestRestarts: 1,000 sessions on 10 sockets through 20 server
//     restarts, kill and graceful (1012) in turn; every session ready again
//     within 500 ms of fake time (measured: 10 ms, the first reconnect
//     backoff step), each subscriber saw exactly stale then ready, values
//     went through Connect.Ok again, goroutines and live heap flat.
//   - TestBlackhole (fake clock) and TestBlackholeTCP (loopback): the dead
//     connection is noticed one heartbeat interval after the unanswered
//     heartbeat, so within two intervals of the blackhole; recovery when
//     traffic flows again.
//   - TestFloodSlowSubscriber (loopback): 100 MiB of events to a session
//     with a slow subscriber; live heap and the reader's backlog bounded,
//     the subscriber ends on the latest state, the other sessions get every
//     event and reply. TestInboundBacklogBounded is its minimal form.
//   - TestCallsAcrossCut, TestCallsAcrossBlackhole: calls in flight end at
//     once with a transport error or by their own timeout; calls buffered
//     while the socket is down expire unsent or go out after the rejoin.
//   - TestBridgeExactlyOnce: `phx bridge` (built and run as a process)
//     across resets, crashes, refusals, a blackhole and server restarts;
//     the sink gets every message exactly once.
//   - TestReconnectStorm: 10,000 sessions on 10 sockets rejoin after a
//     restart with at most 32 joins in flight per socket (counted on the
//     wire), all within 3 s of fake time.
//   - TestHostileFrames, TestHostileReadLimit, TestHostileMode and
//     FuzzInbound: hostile input (see phxtest.HostileFrames) is counted
//     kind by kind, never panics, never disturbs other sessions; the read
//     limit closes with 1009 and a clear error.
//   - TestTLS, TestSecretsNeverLogged, TestEndpointUserInfo: wss trust, and
//     no token or param in any log line or error string.
//   - TestSoak: steady load with a fault every 2 s, off by default.
//
// Every scenario prints its figures with t.Logf; run with -v to see them:
//
//	go test -race -v ./tests/chaos
//	go test -race -run Soak -v ./tests/chaos -soak=2m   # the soak is off by default
//	go test -run '^$' -fuzz FuzzInbound ./tests/chaos   # the inbound path, end to end
//
// The package has no exported API: its content is its tests.
package chaos
