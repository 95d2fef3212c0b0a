// Package phxtest is an in-process server that speaks the Phoenix Channels
// socket protocol like a real Phoenix server, for testing clients, the way
// net/http/httptest serves HTTP.
//
// It reproduces, frame for frame, what the transcripts in
// testdata/phoenix-wire (captured from Phoenix 1.7.24) show, and the replay
// tests of this package check that: heartbeat replies; join ok, error and
// "join crashed"; "unmatched topic" with a null join_ref; a duplicate join
// (the new join's reply first, then phx_close for the old join_ref);
// phx_leave (ok reply, then phx_close); phx_error with ref = join_ref after a
// channel crash; phx_close on {:stop, ...}; broadcasts queued before the
// pusher's reply; "too many channels joined" past the per-socket cap
// (default 100); HTTP 403 on a refused connect; close 1011 on a malformed
// frame; 1000 on a server disconnect and on the idle timeout (60 s); 1012 on
// a graceful shutdown; binary frames both ways; the vsn 1.0.0 object format.
//
// # Servers
//
//	srv := phxtest.NewServer(phxtest.WithDemoApp())      // loopback TCP, like httptest
//	defer srv.Close()
//	url := srv.URL() + "/websocket?vsn=2.0.0"             // srv.URL() is ws://HOST/socket
//
// NewPipeServer serves over in-memory connections instead (buffered like a
// socket, every wait on a channel), so a server and its clients can run in a
// testing/synctest bubble on the fake clock: create the server inside the
// bubble and dial it with srv.DialContext (websocket.Dialer.NetDialContext)
// or srv.Dialer(). The server starts no package-level goroutine, and Close
// waits for every goroutine it started. Listen serves on a TCP address of
// your choice (phx serve).
//
// # Channels
//
// A channel is a Go value implementing Channel (Join, HandleIn, Terminate),
// routed by topic pattern with WithChannel("room:*", factory). HandleIn
// returns a Result: Reply(p), ReplyError(p), NoReply(), Stop(reason), or
// Reply(p).AndStop(reason); a panic crashes the channel. A Payload is JSON
// text or binary data (JSON, RawJSON, Binary). The ChannelSocket passed to
// the callbacks pushes to its client (Push), broadcasts to the topic
// (Broadcast, BroadcastFrom), runs code later in the channel's process
// (Send, like handle_info), tracks presence (Track), and keeps assigns.
//
// The concurrency model is Phoenix's: per connection, frames are handled in
// order by the transport, and a join runs on the transport (a slow join
// blocks the socket); each channel handles its messages in order in its own
// process, a mailbox that owns a goroutine only while it has work, so idle
// channels cost no goroutine; each connection has one writer, which
// coalesces queued frames into one write; a broadcast reaches every
// subscriber's write queue before the pusher's reply is queued.
//
// # The demo app
//
// WithDemoApp installs the chat:* and room:* channels of the transcripts'
// app (see Demo for their events), so a scenario can run against this
// server and against the real one alike. RequireToken("good") makes the
// server accept only token=good, as the transcripts' server did.
//
// # Fault injection and observation
//
// The Server controls: Broadcast, Disconnect (close 1000, 1001 with the 1.8
// profile), StallHeartbeats, SetReplyDelay, WithholdReplies, CrashChannel,
// RefuseConnects (403 or ECONNREFUSED), Stop / Start / Restart (Graceful:
// close 1012; Kill: no close frame; demo history cleared), Shutdown.
// Each Conn can be dropped (Drop: TCP close without a close frame), closed
// with a code (Close), stalled, or pushed to. WaitConns, WaitJoined and
// WaitUntil wait for state; a Recorder (WithRecorder) keeps every frame in
// and out with its direction, opcode and time, and waits for a matching one.
//
// The same controls are served over HTTP for a separate process: POST
// /admin/broadcast, /admin/disconnect, /admin/reset, /admin/crash,
// /admin/stall, and GET /admin/stats.
//
// # Profiles
//
// WithProfile(Phoenix18) reproduces Phoenix 1.8 where it differs from 1.7:
// phx_error carries {"reason":"channel_crash"}, a server disconnect closes
// with 1001, and a push with a stale join_ref is ignored without a reply.
package phxtest
