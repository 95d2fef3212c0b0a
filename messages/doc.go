// Package messages is the vocabulary the actors speak: plain data commands
// and events, the session status and error kinds, and the sentinel errors.
// Reading it tells the whole protocol between the socket, session and root
// actors, as Elixir message tuples do.
//
// Commands are imperative (Mount, Leave); events are past tense (SocketUp,
// FrameIn). No message holds a closure; replies go to the sender.
package messages
