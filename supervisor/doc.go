// Package supervisor is the public API of the Phoenix Channels client: a
// Supervisor hosts every socket and session of a process in one actor
// system, as Elixir's process model does on the server.
//
//	sup := supervisor.New(supervisor.WithLogger(slog.Default()))
//	defer sup.Shutdown(context.Background())
//	ep, err := sup.Endpoint("wss://example.com/socket",
//		supervisor.WithParams(func() url.Values { return url.Values{"token": {currentToken()}} }))
//
// An Endpoint is a pool of websocket connections to one URL: it places each
// topic on a socket with room (at most 100 channels a socket by default, the
// server's cap), opens more sockets as needed, and reconnects each socket
// with the official client's backoff when its connection fails, its
// heartbeat goes unanswered or the server closes it. Sessions (one per
// topic, see NewSession) survive their socket's reconnects and rejoin.
//
// Shutdown leaves every channel and closes every socket with a normal
// close; Close stops at once. Both wait for every goroutine the Supervisor
// started. Logging goes to the Logger given with WithLogger (silent by
// default); counters are read with Stats.
package supervisor
