package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// The seed's chat types.
type (
	ChatMessage struct {
		ID         string `json:"id"`
		Body       string `json:"body"`
		InsertedAt string `json:"insertedAt"`
	}
	ChatValue struct {
		Messages []ChatMessage `json:"messages"`
	}
	ChatJoinOk struct {
		Messages []ChatMessage `json:"messages"`
	}
	ChatJoinError struct {
		Reason string `json:"reason"`
	}
	MessageDeleted struct {
		ID string `json:"id"`
	}
	SendPayload struct {
		Body string `json:"body"`
	}
	SendOk    struct{}
	SendError struct {
		Reason string `json:"reason,omitempty"`
	}
	TypingPayload struct {
		Active bool `json:"active"`
	}
)

// bodies lists the message bodies of a state's value.
func bodies(s supervisor.State[ChatValue]) []string {
	if s.Value == nil {
		return nil
	}
	out := []string{}
	for _, m := range s.Value.Messages {
		out = append(out, m.Body)
	}
	return out
}

// startServer runs the Phoenix test server with the demo chat app (the app
// the wire transcripts were captured from); history seeds chat:lobby.
func startServer(history ...string) *phxtest.Server {
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	for _, body := range history {
		srv.Demo().Post("chat:lobby", body)
	}
	return srv
}

// A session is a reactive store of one channel: subscribe to join, read
// the state as it changes, unsubscribe to leave (the seed's first example).
func ExampleNewSession() {
	srv := startServer("Welcome")
	defer srv.Close()

	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, err := sup.Endpoint(srv.URL(), supervisor.WithParams(func() url.Values {
		return url.Values{"token": {"user-token"}}
	}))
	if err != nil {
		panic(err)
	}
	chat, err := supervisor.NewSession(ep, supervisor.Config[ChatValue]{Topic: "chat:lobby"})
	if err != nil {
		panic(err)
	}

	states := make(chan supervisor.State[ChatValue], 16)
	unsubscribe := chat.Subscribe(func(s supervisor.State[ChatValue]) { states <- s })
	defer unsubscribe()
	for s := range states {
		fmt.Println(s.Status, s.Value, s.Error, s.Processing)
		if s.Status == supervisor.Ready {
			break
		}
	}
	// Output:
	// loading <nil> <nil> map[]
	// ready <nil> <nil> map[]
}

// Initial value: exposed at once, while the status is still loading.
func ExampleConfig_initialValue() {
	srv := startServer()
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())

	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{
		Topic: "chat:lobby",
		Value: &ChatValue{Messages: []ChatMessage{}},
	})
	s := chat.State()
	fmt.Println(s.Status, len(s.Value.Messages))
	// Output:
	// loading 0
}

// connect.ok: a successful join replaces, normalizes or merges the value;
// connect.error turns a refused join into the cause shown in the state.
func ExampleOnJoin() {
	srv := startServer("first message", "second message")
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())

	connect := supervisor.Connect[ChatValue]{
		Ok: supervisor.OnJoin(func(v *ChatValue, reply ChatJoinOk) ChatValue {
			var msgs []ChatMessage
			if v != nil {
				msgs = slices.Clone(v.Messages)
			}
			return ChatValue{Messages: append(msgs, reply.Messages...)}
		}),
		Error: supervisor.OnJoinError(func(reply ChatJoinError) any { return reply.Reason }),
	}
	for _, topic := range []string{"chat:lobby", phxtest.TopicForbidden} {
		chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{
			Topic:   topic,
			Value:   &ChatValue{Messages: []ChatMessage{{ID: "0", Body: "cached"}}},
			Connect: connect,
		})
		states := make(chan supervisor.State[ChatValue], 16)
		unsubscribe := chat.Subscribe(func(s supervisor.State[ChatValue]) { states <- s })
		for s := range states {
			if s.Status != supervisor.Loading {
				fmt.Println(topic, s.Status, bodies(s), s.Error)
				break
			}
		}
		unsubscribe()
	}
	// Output:
	// chat:lobby ready [cached first message second message] <nil>
	// chat:forbidden failed [cached] connect_error: unauthorized
}

// events: the reactive form of channel.on(event, callback). Each handler
// gets the current value and the payload and returns the next value.
func ExampleOn() {
	srv := startServer()
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())

	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{
		Topic: "chat:lobby",
		Value: &ChatValue{Messages: []ChatMessage{}},
		Connect: supervisor.Connect[ChatValue]{
			Ok: supervisor.OnJoin(func(_ *ChatValue, reply ChatJoinOk) ChatValue {
				return ChatValue{Messages: reply.Messages}
			}),
		},
		Events: supervisor.Events[ChatValue]{
			"new_msg": supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
				return ChatValue{Messages: append(slices.Clone(v.Messages), m)}
			}),
			"message_updated": supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
				msgs := slices.Clone(v.Messages)
				for i := range msgs {
					if msgs[i].ID == m.ID {
						msgs[i] = m
					}
				}
				return ChatValue{Messages: msgs}
			}),
			"message_deleted": supervisor.On(func(v *ChatValue, p MessageDeleted) ChatValue {
				return ChatValue{Messages: slices.DeleteFunc(slices.Clone(v.Messages),
					func(m ChatMessage) bool { return m.ID == p.ID })}
			}),
		},
	})
	states := make(chan supervisor.State[ChatValue], 16)
	unsubscribe := chat.Subscribe(func(s supervisor.State[ChatValue]) { states <- s })
	defer unsubscribe()
	for s := range states {
		if s.Status == supervisor.Ready {
			break
		}
	}
	// Another client posts, edits and deletes messages; the server
	// broadcasts the events.
	hello := srv.Demo().Post("chat:lobby", "Hello")
	_ = srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(hello))
	bye := srv.Demo().Post("chat:lobby", "Bye")
	_ = srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(bye))
	hello.Body = "Hello, world"
	_ = srv.Broadcast("chat:lobby", "message_updated", phxtest.JSON(hello))
	_ = srv.Broadcast("chat:lobby", "message_deleted", phxtest.JSON(MessageDeleted{ID: bye.ID}))
	for range 4 {
		fmt.Println(bodies(<-states))
	}
	// Output:
	// [Hello]
	// [Hello Bye]
	// [Hello, world Bye]
	// [Hello, world]
}

// extend with call: a request/reply action with its own bucket, named after
// the action ("send"); the Phoenix event it pushes ("new_msg") may differ.
func ExampleNewCall() {
	srv := startServer()
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())
	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{Topic: "chat:lobby"})

	send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")

	unsubscribe := chat.Subscribe(nil) // mounts the session: joins
	defer unsubscribe()
	ctx := context.Background()

	_, err := send.Call(ctx, SendPayload{Body: "Hello"})
	s := chat.State()
	fmt.Println(err, s.Processing["send"], send.Error(s), s.Timeouts["send"])

	_, err = send.Call(ctx, SendPayload{Body: "   "})
	var replyErr *supervisor.ReplyError[SendError]
	if errors.As(err, &replyErr) {
		fmt.Println("error reply:", replyErr.Reply.Reason)
	}
	s = chat.State()
	fmt.Println(s.Processing["send"], send.Error(s).Reason, s.Timeouts["send"])
	// Output:
	// <nil> false <nil> false
	// error reply: empty_message
	// false empty_message false
}

// extend with cast: fire and forget, no reply and no bucket.
func ExampleNewCast() {
	srv := startServer()
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())
	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{Topic: "chat:lobby"})

	typing := supervisor.NewCast[TypingPayload](chat, "typing")

	fmt.Println(typing.Cast(context.Background(), TypingPayload{Active: true}))
	unsubscribe := chat.Subscribe(nil)
	defer unsubscribe()
	fmt.Println(typing.Cast(context.Background(), TypingPayload{Active: true}))
	_, hasBucket := chat.State().Processing["typing"]
	fmt.Println(hasBucket)
	// Output:
	// phx: session not mounted
	// <nil>
	// false
}

// Action buckets: one per action, tracked independently; read a bucket's
// typed error from any state with the action's Error.
func ExampleCall_Error() {
	srv := startServer("Hello")
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())
	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{Topic: "chat:lobby"})

	type edit struct {
		ID   string `json:"id"`
		Body string `json:"body"`
	}
	type ActionError struct {
		Reason string `json:"reason"`
	}
	send := supervisor.NewCall[SendPayload, SendOk, ActionError](chat, "send", "new_msg")
	editMsg := supervisor.NewCall[edit, SendOk, ActionError](chat, "edit", "message_updated")
	remove := supervisor.NewCall[MessageDeleted, SendOk, ActionError](chat, "remove", "message_deleted",
		supervisor.WithCallTimeout(time.Second))

	s := chat.State() // every bucket exists, clear, from the start
	fmt.Println(s.Processing, s.Errors, s.Timeouts)

	unsubscribe := chat.Subscribe(nil)
	defer unsubscribe()
	ctx := context.Background()
	_, _ = send.Call(ctx, SendPayload{Body: "Hi"})
	_, _ = editMsg.Call(ctx, edit{ID: "nope", Body: "x"})
	_, _ = remove.Call(ctx, MessageDeleted{ID: "1"})

	s = chat.State()
	fmt.Println(send.Error(s), editMsg.Error(s).Reason, remove.Error(s))
	fmt.Println(s.Processing["send"], s.Processing["edit"], s.Timeouts["remove"])
	// Output:
	// map[edit:false remove:false send:false] map[edit:<nil> remove:<nil> send:<nil>] map[edit:false remove:false send:false]
	// <nil> not_found <nil>
	// false false false
}

// The lifecycle: the seed's sequence diagram, printed state by state.
func Example_lifecycle() {
	srv := startServer("Welcome")
	defer srv.Close()
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())
	ep, _ := sup.Endpoint(srv.URL())

	chat, _ := supervisor.NewSession(ep, supervisor.Config[ChatValue]{
		Topic: "chat:lobby",
		Value: &ChatValue{Messages: []ChatMessage{}},
		Connect: supervisor.Connect[ChatValue]{
			Ok: supervisor.OnJoin(func(_ *ChatValue, reply ChatJoinOk) ChatValue {
				return ChatValue{Messages: reply.Messages}
			}),
		},
		Events: supervisor.Events[ChatValue]{
			"new_msg": supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
				return ChatValue{Messages: append(slices.Clone(v.Messages), m)}
			}),
		},
	})
	send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")
	wait := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "wait", "noreply",
		supervisor.WithCallTimeout(100*time.Millisecond))

	show := func(s supervisor.State[ChatValue]) {
		fmt.Printf("%-7s %v error=%v processing=%v errors=%v timeouts=%v\n",
			s.Status, bodies(s), s.Error, s.Processing["send"], send.Error(s), s.Timeouts["wait"])
	}
	states := make(chan supervisor.State[ChatValue], 16)
	unsubscribe := chat.Subscribe(func(s supervisor.State[ChatValue]) { states <- s })
	show(<-states) // created: loading
	show(<-states) // JOIN OK

	// A channel event after the join.
	hi := srv.Demo().Post("chat:lobby", "Hi")
	_ = srv.Broadcast("chat:lobby", "new_msg", phxtest.JSON(hi))
	show(<-states)

	// CALL OK: processing, then the server's broadcast, then the reply.
	_, _ = send.Call(context.Background(), SendPayload{Body: "Hello"})
	show(<-states)
	show(<-states)
	show(<-states)

	// CALL ERROR
	_, _ = send.Call(context.Background(), SendPayload{Body: " "})
	show(<-states)
	show(<-states)

	// CALL TIMEOUT (an action whose handler never replies)
	_, err := wait.Call(context.Background(), SendPayload{})
	fmt.Println(err)
	<-states // wait: processing
	show(<-states)

	unsubscribe() // leaves; the last state remains readable
	show(chat.State())
	// Output:
	// loading [] error=<nil> processing=false errors=<nil> timeouts=false
	// ready   [Welcome] error=<nil> processing=false errors=<nil> timeouts=false
	// ready   [Welcome Hi] error=<nil> processing=false errors=<nil> timeouts=false
	// ready   [Welcome Hi] error=<nil> processing=true errors=<nil> timeouts=false
	// ready   [Welcome Hi Hello] error=<nil> processing=true errors=<nil> timeouts=false
	// ready   [Welcome Hi Hello] error=<nil> processing=false errors=<nil> timeouts=false
	// ready   [Welcome Hi Hello] error=<nil> processing=true errors=<nil> timeouts=false
	// ready   [Welcome Hi Hello] error=<nil> processing=false errors=&{empty_message} timeouts=false
	// phx: timeout
	// ready   [Welcome Hi Hello] error=<nil> processing=false errors=&{empty_message} timeouts=true
	// ready   [Welcome Hi Hello] error=<nil> processing=false errors=&{empty_message} timeouts=true
}

// The seed's chat app in Go (the README shows this code): chat.go builds
// the session once; a view renders each state as the seed's Svelte and
// React components do, and the input calls send.
func Example_chat() {
	srv := startServer("Welcome")
	defer srv.Close()
	userToken := "user-token"

	// chat.go
	sup := supervisor.New()
	defer sup.Shutdown(context.Background())

	ep, err := sup.Endpoint(srv.URL(), supervisor.WithParams(func() url.Values {
		return url.Values{"token": {userToken}}
	}))
	if err != nil {
		panic(err)
	}

	chat, err := supervisor.NewSession(ep, supervisor.Config[ChatValue]{
		Topic: "chat:lobby",
		Value: &ChatValue{Messages: []ChatMessage{}},
		Connect: supervisor.Connect[ChatValue]{
			Ok: supervisor.OnJoin(func(_ *ChatValue, reply ChatJoinOk) ChatValue {
				return ChatValue{Messages: reply.Messages}
			}),
		},
		Events: supervisor.Events[ChatValue]{
			"new_msg": supervisor.On(func(v *ChatValue, m ChatMessage) ChatValue {
				return ChatValue{Messages: append(slices.Clone(v.Messages), m)}
			}),
		},
	})
	if err != nil {
		panic(err)
	}
	send := supervisor.NewCall[SendPayload, SendOk, SendError](chat, "send", "new_msg")

	// The view: what the seed's Chat component shows for a state.
	render := func(s supervisor.State[ChatValue]) string {
		var b strings.Builder
		switch s.Status {
		case supervisor.Loading:
			b.WriteString("Joining chat...\n")
		case supervisor.Failed:
			b.WriteString("Chat unavailable\n")
		}
		for _, m := range s.Value.Messages {
			fmt.Fprintf(&b, "  %s\n", m.Body)
		}
		if s.Timeouts["send"] {
			b.WriteString("Message timed out\n")
		} else if e := send.Error(s); e != nil && e.Reason != "" {
			fmt.Fprintf(&b, "%s\n", e.Reason)
		}
		button := "[Send]"
		if s.Processing["send"] {
			button = "[Sending]"
		}
		if s.Status != supervisor.Ready {
			button += " (disabled)"
		}
		return b.String() + button + "\n"
	}

	// Subscribing mounts the session (joins); every state re-renders.
	screen := make(chan string, 16)
	unsubscribe := chat.Subscribe(func(s supervisor.State[ChatValue]) { screen <- render(s) })
	defer unsubscribe() // the last unsubscribe leaves the channel
	fmt.Print(<-screen) // the initial value, loading
	fmt.Print(<-screen) // joined

	// The input: send a message; a blank one is refused by the server.
	ctx := context.Background()
	if _, err := send.Call(ctx, SendPayload{Body: "Hello"}); err != nil {
		fmt.Println("send:", err)
	}
	fmt.Print(render(chat.State()))
	if _, err := send.Call(ctx, SendPayload{Body: "  "}); err != nil {
		fmt.Println("send:", err)
	}
	fmt.Print(render(chat.State()))
	// Output:
	// Joining chat...
	// [Send] (disabled)
	//   Welcome
	// [Send]
	//   Welcome
	//   Hello
	// [Send]
	// send: phx: send (new_msg): error reply {"reason":"empty_message"}
	//   Welcome
	//   Hello
	// empty_message
	// [Send]
}
