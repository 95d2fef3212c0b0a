// Package faultproxy is a fault-injecting TCP proxy for tests.
//
// A Proxy listens on 127.0.0.1 (never any other address) and forwards every
// accepted connection to one target, typically a tests/phxtest server. While
// traffic flows, a test can change the network under the client:
//
//   - SetLatency adds a one-way delay to every chunk in both directions,
//     keeping the byte order.
//   - ResetAll cuts every live connection abruptly (SO_LINGER 0, so both
//     peers see a TCP RST or EOF and never a websocket close frame).
//   - Blackhole stops delivery both ways while the TCP connections stay
//     open: a half-open network that only application heartbeats notice.
//     Data is held, not discarded: the proxy stops forwarding (and soon
//     stops reading, so the senders' kernel buffers fill as they would
//     behind a real partition) and delivers everything, in order, when the
//     blackhole is lifted. A FIN or RST from one side is held the same way.
//   - Throttle caps the bandwidth of each direction of each connection.
//   - PauseReading stops reading from the clients so their writes back up:
//     a slow server.
//   - RefuseNew accepts new connections and resets them at once.
//
// Every control takes effect on live connections and new ones, may be
// changed at any time and is safe for concurrent use. Stats reports counters
// of bytes delivered each way, cuts and refusals; Conns the live connections.
//
// # Real time and synctest
//
// A Proxy built by New uses real loopback TCP and real timers, so tests that
// use it run in real time. Goroutines blocked on a real socket are never
// "durably blocked", which stops a testing/synctest bubble's clock; for
// fake-time tests build the proxy inside the bubble with WithoutListener and
// WithDialer (returning, say, one end of a net.Pipe served by an in-bubble
// server) and connect clients with DialContext, which hands out the client
// end of a net.Pipe. The proxy's timers are plain time.Timer values, so
// inside a bubble latency and throttling run on the fake clock.
//
// Close closes every connection and waits for every goroutine the proxy
// started.
package faultproxy
