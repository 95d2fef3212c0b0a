package phxtest

import (
	"slices"
	"strconv"
	"sync"
	"time"
)

// Message is a chat message of the demo app, as its frames carry it:
// {"body":..,"id":..,"insertedAt":..}.
type Message struct {
	Body       string `json:"body"`
	ID         string `json:"id"`
	InsertedAt string `json:"insertedAt"`
}

// Demo is the state of the demo app installed by WithDemoApp: the message
// history of each chat topic (in memory, like the transcripts' app's ETS
// table: gone when the server restarts) and the id counter.
//
// The demo app's channels answer like the server the transcripts were
// captured from:
//
// chat:* — join replies {"messages": history} (only messages with an id
// after the "last_id" param when given); with a "user" param the channel
// tracks that presence after the join (presence_diff to all, then
// presence_state to the joiner). chat:forbidden refuses the join
// ({"reason":"unauthorized"}), chat:slow takes 12 s to join,
// chat:crashjoin crashes in join. Events:
//
//	new_msg {"body"}             broadcast new_msg {body,id,insertedAt}, reply {}; a missing, blank or non-string body: error {"reason":"empty_message"}
//	message_updated {"id","body"} broadcast message_updated with the message, reply {} (error not_found / empty_message)
//	message_deleted {"id"}       broadcast message_deleted {"id"}, reply {} (error not_found)
//	noreply                      no reply
//	echo                         reply with the payload (JSON or binary)
//	slow_echo {"ms"}             wait ms (default 500), reply with the payload
//	crash                        the channel crashes (phx_error, no reply)
//	stop / stop_reply            {:stop, :normal}: phx_close / reply {"stopping":true} then phx_close
//	broadcast_n / push_n {"n"}   n "tick" {"i":k} broadcasts / pushes, then reply {"n":n}
//	push_binary / broadcast_binary {"data"}  binary_data binary push / broadcast of data, reply {}
//	reply_binary {"data"}        binary reply with data
//	flood {"n","size"}           n "flood" broadcasts {"body":<size bytes>,"i":k}, then reply {"n":n}
//	anything else                error {"event":event,"reason":"unknown_event"}
//
// room:* — join replies {} whatever the payload; echo, noreply and the same
// catch-all error.
type Demo struct {
	mu      sync.Mutex
	nextID  uint64
	history map[string][]Message
}

// NewDemo returns an empty demo app state.
func NewDemo() *Demo { return &Demo{history: map[string][]Message{}} }

// Reset clears every topic's history (the app's POST /admin/reset).
func (d *Demo) Reset() {
	d.mu.Lock()
	d.history = map[string][]Message{}
	d.mu.Unlock()
}

// restart forgets everything, ids included, as a restarted node does.
func (d *Demo) restart() {
	d.mu.Lock()
	d.history = map[string][]Message{}
	d.nextID = 0
	d.mu.Unlock()
}

// Post adds a message to topic's history and returns it. It does not
// broadcast it.
func (d *Demo) Post(topic, body string) Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	m := Message{Body: body, ID: strconv.FormatUint(d.nextID, 10), InsertedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}
	d.history[topic] = append(d.history[topic], m)
	return m
}

// History returns topic's messages, oldest first.
func (d *Demo) History(topic string) []Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Message{}, d.history[topic]...)
}

// after returns the messages of topic whose id is after lastID ("" = all).
func (d *Demo) after(topic, lastID string) []Message {
	all := d.History(topic)
	last, err := strconv.ParseUint(lastID, 10, 64)
	if lastID == "" || err != nil {
		return all
	}
	out := []Message{}
	for _, m := range all {
		if id, _ := strconv.ParseUint(m.ID, 10, 64); id > last {
			out = append(out, m)
		}
	}
	return out
}

// Update changes the body of message id on topic.
func (d *Demo) Update(topic, id, body string) (Message, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.history[topic]
	i := slices.IndexFunc(h, func(m Message) bool { return m.ID == id })
	if i < 0 {
		return Message{}, false
	}
	h[i].Body = body
	return h[i], true
}

// Delete removes message id from topic.
func (d *Demo) Delete(topic, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.history[topic]
	i := slices.IndexFunc(h, func(m Message) bool { return m.ID == id })
	if i < 0 {
		return false
	}
	d.history[topic] = slices.Delete(h, i, i+1)
	return true
}
