package phxtest

import "strings"

// Channel is a Go version of a Phoenix.Channel module: the server calls Join
// when a client joins a topic its route matches, HandleIn for each event the
// client pushes, and Terminate when the channel ends.
//
// One Channel value serves one joined topic on one connection (WithChannel
// takes a factory). Join runs on the connection's transport, so a slow Join
// blocks the whole socket, as in Phoenix. HandleIn and Terminate run in the
// channel's own process: one message at a time, in order. A panic in Join
// gives the client "join crashed"; a panic in HandleIn crashes the channel
// (the client gets phx_error and no reply).
type Channel interface {
	// Join accepts the join with a reply (the zero Payload is {}), or refuses
	// it with Refuse(reply). Any other error refuses it with
	// {"reason": err.Error()}.
	Join(topic string, payload Payload, s *ChannelSocket) (reply Payload, err error)
	// HandleIn handles one event pushed by the client.
	HandleIn(event string, payload Payload, s *ChannelSocket) Result
	// Terminate is called once when the channel ends; reason is one of the
	// Reason constants or a crash description.
	Terminate(reason string, s *ChannelSocket)
}

// Reasons a channel ends with, as Phoenix names them.
const (
	ReasonNormal        = "normal"                  // {:stop, :normal, ...}
	ReasonLeft          = "shutdown:left"           // the client sent phx_leave
	ReasonClosed        = "shutdown:closed"         // the connection closed
	ReasonDuplicateJoin = "shutdown:duplicate_join" // the client joined the topic again
	ReasonKilled        = "killed"                  // Server.CrashChannel or ChannelSocket.Crash
)

// isCleanExit reports whether a channel that stops with reason ends with
// phx_close (normal or shutdown) rather than phx_error.
func isCleanExit(reason string) bool {
	return reason == ReasonNormal || reason == "shutdown" || strings.HasPrefix(reason, "shutdown:")
}

// ChannelFuncs implements Channel with plain functions; a nil function
// accepts the join with {}, answers every event with no reply, or does
// nothing on terminate.
type ChannelFuncs struct {
	JoinFunc      func(topic string, payload Payload, s *ChannelSocket) (Payload, error)
	HandleInFunc  func(event string, payload Payload, s *ChannelSocket) Result
	TerminateFunc func(reason string, s *ChannelSocket)
}

// Join calls JoinFunc.
func (f ChannelFuncs) Join(topic string, p Payload, s *ChannelSocket) (Payload, error) {
	if f.JoinFunc == nil {
		return Payload{}, nil
	}
	return f.JoinFunc(topic, p, s)
}

// HandleIn calls HandleInFunc.
func (f ChannelFuncs) HandleIn(event string, p Payload, s *ChannelSocket) Result {
	if f.HandleInFunc == nil {
		return NoReply()
	}
	return f.HandleInFunc(event, p, s)
}

// Terminate calls TerminateFunc.
func (f ChannelFuncs) Terminate(reason string, s *ChannelSocket) {
	if f.TerminateFunc != nil {
		f.TerminateFunc(reason, s)
	}
}

// Result is what HandleIn returns: a reply or none, and whether the channel
// stops. The zero Result is NoReply().
type Result struct {
	reply   bool
	status  string
	payload Payload
	stop    bool
	reason  string
}

// Reply answers the push with {"status":"ok","response":p}
// ({:reply, {:ok, p}, socket}). A binary p gives a binary reply.
func Reply(p Payload) Result { return Result{reply: true, status: "ok", payload: p} }

// ReplyError answers the push with {"status":"error","response":p}.
func ReplyError(p Payload) Result { return Result{reply: true, status: "error", payload: p} }

// NoReply sends nothing back ({:noreply, socket}).
func NoReply() Result { return Result{} }

// Stop ends the channel without a reply ({:stop, reason, socket}): the client
// gets phx_close for ReasonNormal or a "shutdown" reason, phx_error otherwise.
func Stop(reason string) Result { return Result{stop: true, reason: reason} }

// AndStop sends r's reply, then ends the channel
// ({:stop, reason, reply, socket}).
func (r Result) AndStop(reason string) Result {
	r.stop, r.reason = true, reason
	return r
}
